"""Writes of the prompt-template library: author, propose, review, insert into a workspace."""

import re

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from curriculum.access import is_agent, is_trainer
from curriculum.models import User
from exercises import answers
from exercises.errors import PromptTemplateError, WorkspaceConflictError
from exercises.models import Workspace
from exercises.selectors import knowledge_facts
from text_analysis import vocabulary

from .models import PROMPT_EXERCISE_TYPES, PromptTemplate, PromptTemplateUse, PromptTemplateVersion

# What the workspace can fill in; anything else in braces is refused when a template is saved.
PLACEHOLDERS = {
    "customer_name": "The customer's name",
    "state": "The customer's state (the template's, else the one the agent identified)",
    "facts": "The knowledge-base facts shown beside the scenario, one per line",
    "constraints": "The reply's limits: word limit and the customer's plan",
}
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_NAME_CHARS = 120
MAX_BODY_CHARS = 4_000
MAX_NOTE_CHARS = 2_000


def _clean_text(value, *, field: str, limit: int, label: str) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        raise PromptTemplateError(f"{label} is required.", field=field)
    if len(text) > limit:
        raise PromptTemplateError(f"Keep {label.lower()} under {limit:,} characters.", field=field)
    return text


def prompt_template_body_check(body) -> str:
    """The body stripped; raises PromptTemplateError naming any unknown placeholder."""
    if isinstance(body, str):
        body = body.replace("\r\n", "\n")  # browsers send textarea lines as CRLF
    text = _clean_text(body, field="body", limit=MAX_BODY_CHARS, label="The template text")
    unknown = sorted({name for name in PLACEHOLDER_RE.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        shown = ", ".join("{" + name + "}" for name in unknown)
        raise PromptTemplateError(
            f"Unknown placeholder {shown}: use {known}, or no braces.", field="body"
        )
    return text


def prompt_template_fill(*, body: str, values: dict[str, str]) -> str:
    """The body with each placeholder that has a value replaced; the others stay as typed
    so the agent sees what to fill in by hand."""

    def replace(match: re.Match) -> str:
        value = values.get(match.group(1))
        return value if value else match.group(0)

    return PLACEHOLDER_RE.sub(replace, body)


def workspace_fill_values(*, workspace: Workspace, template: PromptTemplate) -> dict[str, str]:
    """What the workspace knows for each placeholder (never the scenario's answer key: the
    state comes from the template or from what the agent identified)."""
    scenario, exercise, answer = workspace.scenario, workspace.exercise, workspace.answer or {}
    states = dict(vocabulary.STATES)
    state = template.customer_state or answer.get("identified_state") or ""
    if not state and exercise.type == "empathy":
        state = dict(vocabulary.DIMENSIONS).get(answer.get("dimension") or "", "")
    facts = knowledge_facts(slugs=list(scenario.data.get("kb_facts") or []))
    constraints = [f"Keep the reply under {exercise.setting('reply_max_words')} words."]
    if scenario.customer_plan:
        constraints.append(
            f"The customer is on the {scenario.customer_plan} plan: offer only what it includes."
        )
    return {
        "customer_name": scenario.customer_name,
        "state": states.get(state, state).lower(),
        "facts": "\n".join(
            f"- {fact.title}: {fact.statement} ({fact.source_url})" for fact in facts
        ),
        "constraints": " ".join(constraints),
    }


def _version_status_for(user: User) -> str:
    if is_trainer(user):
        return PromptTemplateVersion.Status.APPROVED
    if is_agent(user):
        return PromptTemplateVersion.Status.PROPOSED
    raise PromptTemplateError("Only agents and trainers write prompt templates.")


def _version_add(*, template, user, body, change_note, calibration_session_id, status):
    number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    approved = status == PromptTemplateVersion.Status.APPROVED
    now = timezone.now()
    return PromptTemplateVersion.objects.create(
        template=template,
        number=number,
        body=body,
        change_note=change_note,
        author=user,
        status=status,
        calibration_session_id=calibration_session_id if is_trainer(user) else None,
        reviewed_by=user if approved else None,
        reviewed_at=now if approved else None,
    )


@transaction.atomic(durable=True)
def prompt_template_create(
    *,
    user: User,
    name: str,
    exercise_type: str,
    customer_state: str,
    body: str,
    change_note: str,
    calibration_session_id: int | None = None,
) -> PromptTemplateVersion:
    """A new template with its first version: approved when a trainer writes it, a proposal
    when an agent does (the template is listed once a trainer approves a version).

    `calibration_session_id` must already be checked by the caller (grading's view offers
    only the trainer's sessions)."""
    status = _version_status_for(user)
    name = _clean_text(name, field="name", limit=MAX_NAME_CHARS, label="The name")
    if exercise_type not in PROMPT_EXERCISE_TYPES:
        raise PromptTemplateError("Pick an exercise type with a prompt box.", field="exercise_type")
    if customer_state and customer_state not in dict(vocabulary.STATES):
        raise PromptTemplateError("Pick one of the customer states.", field="customer_state")
    body = prompt_template_body_check(body)
    change_note = _clean_text(
        change_note, field="change_note", limit=MAX_NOTE_CHARS, label="The change note"
    )
    try:
        with transaction.atomic():
            template = PromptTemplate.objects.create(
                name=name,
                exercise_type=exercise_type,
                customer_state=customer_state or "",
                created_by=user,
            )
    except IntegrityError as exc:
        raise PromptTemplateError(
            "A template with this name already exists for this type and state; "
            "propose a new version of it instead.",
            field="name",
        ) from exc
    return _version_add(
        template=template,
        user=user,
        body=body,
        change_note=change_note,
        calibration_session_id=calibration_session_id,
        status=status,
    )


@transaction.atomic(durable=True)
def prompt_template_version_add(
    *,
    user: User,
    template_id: int,
    body: str,
    change_note: str,
    calibration_session_id: int | None = None,
) -> PromptTemplateVersion:
    """A new version of a template: a trainer's is approved (and current) at once, an
    agent's waits for a trainer as a proposal."""
    status = _version_status_for(user)
    template = PromptTemplate.objects.select_for_update().filter(pk=template_id).first()
    if template is None:
        raise PromptTemplateError("That template no longer exists.")
    body = prompt_template_body_check(body)
    change_note = _clean_text(
        change_note, field="change_note", limit=MAX_NOTE_CHARS, label="The change note"
    )
    return _version_add(
        template=template,
        user=user,
        body=body,
        change_note=change_note,
        calibration_session_id=calibration_session_id,
        status=status,
    )


@transaction.atomic(durable=True)
def prompt_template_version_review(
    *, user: User, version_id: int, approve: bool, note: str = ""
) -> PromptTemplateVersion:
    """A trainer approves or rejects a proposal (once); the note is shown to its author."""
    if not is_trainer(user):
        raise PromptTemplateError("Only trainers approve prompt templates.")
    version = PromptTemplateVersion.objects.select_for_update().filter(pk=version_id).first()
    if version is None:
        raise PromptTemplateError("That proposal no longer exists.")
    if version.status != PromptTemplateVersion.Status.PROPOSED:
        raise PromptTemplateError(
            f"This proposal was already {version.get_status_display().lower()}."
        )
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise PromptTemplateError(
            f"Keep the note under {MAX_NOTE_CHARS:,} characters.", field="note"
        )
    if not approve and not note:
        raise PromptTemplateError("Say why in a note: the agent sees it.", field="note")
    version.status = (
        PromptTemplateVersion.Status.APPROVED if approve else PromptTemplateVersion.Status.REJECTED
    )
    version.reviewed_by = user
    version.reviewed_at = timezone.now()
    version.review_note = note
    version.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    return version


@transaction.atomic(durable=True)
def prompt_template_insert(
    *, user: User, workspace_id: int, version_id: int, revision: int
) -> tuple[Workspace, str]:
    """Append an approved version, filled in from the workspace, to the workspace's prompt;
    record the use (linked to the next submission). Raises WorkspaceConflictError when
    `revision` is not the latest, PromptTemplateError when the version does not fit."""
    workspace = (
        Workspace.objects.select_for_update()
        .select_related("exercise", "scenario")
        .get(pk=workspace_id, user=user)
    )
    if revision != workspace.revision:
        raise WorkspaceConflictError(workspace)
    version = (
        PromptTemplateVersion.objects.select_related("template")
        .filter(pk=version_id, status=PromptTemplateVersion.Status.APPROVED)
        .first()
    )
    if version is None:
        raise PromptTemplateError("Pick one of the approved templates.", field="prompt_template")
    if version.template.exercise_type != workspace.exercise.type:
        raise PromptTemplateError(
            "That template is written for another kind of exercise.", field="prompt_template"
        )
    answer = dict(workspace.answer or {})
    if "prompt" not in answers.empty_answer(workspace.exercise.type):
        raise PromptTemplateError("This exercise has no prompt to insert a template into.")
    text = prompt_template_fill(
        body=version.body,
        values=workspace_fill_values(workspace=workspace, template=version.template),
    )
    current = answer.get("prompt") if isinstance(answer.get("prompt"), str) else ""
    answer["prompt"] = f"{current.rstrip()}\n\n{text}" if current.strip() else text
    if len(answer["prompt"]) > answers.MAX_FIELD_CHARS:
        raise PromptTemplateError(
            "Your prompt would be too long with this template; shorten it first.",
            field="prompt_template",
        )
    workspace.answer = answer
    workspace.revision += 1
    workspace.save(update_fields=["answer", "revision", "updated_at"])
    PromptTemplateUse.objects.create(version=version, user=user, workspace=workspace)
    return workspace, answer["prompt"]


def prompt_template_uses_attach(*, workspace_id: int, submission_id: int) -> int:
    """Link the workspace's unlinked uses to the submission just made from it (called by
    the submit service inside its transaction); returns how many."""
    return PromptTemplateUse.objects.filter(
        workspace_id=workspace_id, submission__isnull=True
    ).update(submission_id=submission_id)


DEMO_TEMPLATES = (
    (
        "Frustrated customer: acknowledge, then fix",
        "tone",
        "frustrated",
        "Write a reply to {customer_name}, who is {state}. Open with one sentence that "
        "acknowledges the frustration without over-apologising, then lead with the fix in "
        "plain steps. Use only these facts:\n{facts}\n{constraints} End with the next step "
        "and when it will happen.",
    ),
    (
        "Urgent customer: action first",
        "tone",
        "urgent",
        "Write a reply to {customer_name}, who is {state}. Put the action first: what we "
        "are doing now and what they should do now, in numbered steps. Reassure in one "
        "sentence. Facts:\n{facts}\n{constraints}",
    ),
    (
        "Empathy: name the feeling, own the failure",
        "empathy",
        "",
        "Write a reply to {customer_name}. Name what they are going through ({state}) in "
        "their words, own what went wrong on our side, then fix it. Facts:\n{facts}\n"
        "{constraints} Offer a follow-up with a date.",
    ),
)


def prompt_template_demo_seed(*, trainer: User, agent: User | None = None) -> int:
    """The demo library: three trainer templates and, with an agent, one proposal waiting
    for the trainer. Idempotent (runs inside seed_demo's transaction); returns how many
    templates it created."""
    created = 0
    for name, exercise_type, state, body in DEMO_TEMPLATES:
        template, made = PromptTemplate.objects.get_or_create(
            name=name,
            exercise_type=exercise_type,
            customer_state=state,
            defaults={"created_by": trainer},
        )
        if not made:
            continue
        created += 1
        _version_add(
            template=template,
            user=trainer,
            body=body,
            change_note="First version, from the course's tone and empathy modules.",
            calibration_session_id=None,
            status=PromptTemplateVersion.Status.APPROVED,
        )
        if agent is not None and state == "frustrated":
            _version_add(
                template=template,
                user=agent,
                body=body + " Sign with your first name.",
                change_note="Customers answer a person: sign with a name.",
                calibration_session_id=None,
                status=PromptTemplateVersion.Status.PROPOSED,
            )
    return created
