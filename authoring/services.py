"""Writes of the authoring pages: drafts from tickets, the scenario editor, publishing, the
rubric editor's revisions, archiving, and marking submissions for re-grading."""

from __future__ import annotations

import copy
import datetime
import re

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from curriculum.markdown import render_markdown
from curriculum.models import Exercise
from exercises.models import ExerciseScenario, KnowledgeFact, Scenario, ScenarioVersion
from grading.content.loading import content_hash, rubric_criteria_write, scenario_fields
from grading.models import (
    Criterion,
    ExampleSubmission,
    Grade,
    GradingJob,
    Level,
    Rubric,
    RubricVersion,
)

from . import editor
from .models import BROWSER_SOURCE_PREFIX, RegradeMark, RubricChange, ScenarioDraft
from .redaction import RedactionResult, TicketMessage
from .validation import Problem, scenario_problems

DEFAULT_COMPANY = "Private customer"


class AuthoringError(Exception):
    """Base of the authoring errors; the message is for the trainer."""


class DraftInvalidError(AuthoringError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) to fix before publishing")


class RubricEditError(AuthoringError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


# ---- drafts from tickets --------------------------------------------------------------


def _iso(value: str) -> str:
    """An ISO date-time with a time zone when the export's timestamp can be read as one."""
    value = (value or "").strip()
    for candidate in (value, value.replace(" ", "T", 1)):
        try:
            parsed = datetime.datetime.fromisoformat(candidate.replace("Z", "+00:00"))
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.UTC)
        return parsed.isoformat().replace("+00:00", "Z")
    return value


def _plan_in(text: str, plans: list[str]) -> str:
    for plan in sorted(plans, key=len, reverse=True):
        if re.search(r"\b" + re.escape(plan) + r"\b", text, flags=re.IGNORECASE):
            return plan
    return ""


def _unique_slug(base: str) -> str:
    base = (slugify(base)[:60].strip("-") or "scenario").lower()
    if not re.match(r"^[a-z0-9]", base):
        base = f"s-{base}"
    taken = set(Scenario.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    taken |= set(ScenarioDraft.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _thread_item(message: TicketMessage) -> dict:
    return {
        "author": message.author,
        "name": message.name or ("Customer" if message.author == "customer" else "Support"),
        "sent_at": _iso(message.sent_at),
        "body": message.body,
    }


def draft_data_from_ticket(*, result: RedactionResult, scenario_type: str, plans: list[str]):
    """A first draft of the scenario from a redacted ticket: the customer's latest public
    message, the public messages before it as the thread, private notes as internal
    details, an AI draft (or the last agent reply) as the draft to start from."""
    ticket = result.ticket
    public = [m for m in ticket.messages if m.public and not m.ai_draft]
    last_customer = max((i for i, m in enumerate(public) if m.author == "customer"), default=None)
    message = public[last_customer].body if last_customer is not None else ""
    earlier = public[:last_customer] if last_customer is not None else public
    agent_replies = [m.body for m in public if m.author == "agent"]
    ai_drafts = [m.body for m in ticket.messages if m.ai_draft]
    notes = [m.body for m in ticket.messages if not m.public and not m.ai_draft]
    starting_draft = (ai_drafts or agent_replies or [""])[-1]
    everything = " ".join([ticket.subject, *(m.body for m in ticket.messages)])
    plan = _plan_in(everything, plans)
    data = {
        "type": scenario_type,
        "title": (ticket.subject or f"Ticket {ticket.ticket_id}".strip())[:200],
        "customer": {
            "name": result.customer_alias,
            "company": DEFAULT_COMPANY,
            "plan": plan,
        },
        "message": message,
        **editor.skeleton(scenario_type),
    }
    if scenario_type in ("context", "escalation") and earlier:
        data["thread"] = [_thread_item(m) for m in earlier]
    if scenario_type == "context":
        data["profile"]["plan"] = plan
    if scenario_type == "audit":
        data["draft"] = starting_draft
    key = {"tone": "calibrated", "context": "with_context", "empathy": "empathetic",
           "escalation": "generic"}.get(scenario_type)  # fmt: skip
    if key and agent_replies:
        data["drafts"][key] = agent_replies[-1]
    if scenario_type == "rca":
        data["incident"]["title"] = data["title"]
        data["technical_details"] = [
            {"id": f"note-{n}", "text": note[:500], "audience": "internal"}
            for n, note in enumerate(notes, start=1)
        ]
    return data


@transaction.atomic(durable=True)
def scenario_drafts_from_tickets(
    *, user, results: list[RedactionResult], scenario_type: str, exercise: Exercise | None
) -> list[ScenarioDraft]:
    """Store confirmed, redacted tickets as scenario drafts (one per ticket).

    Only the redacted text and the list of redactions (kind, field, replacement, whether the
    trainer undid it) are stored; the original text never reaches the database."""
    plans = [
        str(fact.data.get("plan"))
        for fact in KnowledgeFact.objects.filter(retired_at__isnull=True, category="plan")
        if fact.data.get("plan")
    ]
    drafts = []
    for result in results:
        data = draft_data_from_ticket(result=result, scenario_type=scenario_type, plans=plans)
        data["id"] = _unique_slug(f"{scenario_type}-{data['title']}")
        drafts.append(
            ScenarioDraft.objects.create(
                slug=data["id"],
                type=scenario_type,
                title=data["title"],
                data=data,
                exercise=exercise,
                source=ScenarioDraft.Source.TICKET,
                ticket_ref=result.ticket.ticket_id[:120],
                thread=[
                    {**_thread_item(m), "public": m.public, "ai_draft": m.ai_draft}
                    for m in result.ticket.messages
                ],
                redactions=result.stored_list(),
                created_by=user,
            )
        )
    return drafts


@transaction.atomic(durable=True)
def scenario_draft_create(
    *, user, scenario_type: str, title: str, exercise: Exercise | None
) -> ScenarioDraft:
    """A blank draft with every field its type needs."""
    title = title.strip() or "New scenario"
    slug = _unique_slug(f"{scenario_type}-{title}")
    data = {
        "id": slug,
        "type": scenario_type,
        "title": title,
        "customer": {"name": "", "company": "", "plan": ""},
        "message": "",
        **editor.skeleton(scenario_type),
    }
    return ScenarioDraft.objects.create(
        slug=slug, type=scenario_type, title=title, data=data, exercise=exercise, created_by=user
    )


@transaction.atomic(durable=True)
def scenario_draft_update(*, draft_id: int, data: dict, exercise: Exercise | None) -> ScenarioDraft:
    """Save what the trainer typed (valid or not: a draft may be incomplete)."""
    draft = ScenarioDraft.objects.select_for_update().get(pk=draft_id)
    data = {**data, "type": draft.type}
    draft.data = data
    draft.slug = str(data.get("id") or draft.slug)[:120]
    draft.title = str(data.get("title") or draft.title)[:200]
    draft.exercise = exercise
    draft.save(update_fields=["data", "slug", "title", "exercise", "updated_at"])
    return draft


@transaction.atomic(durable=True)
def scenario_draft_publish(*, draft_id: int) -> ScenarioVersion:
    """Validate the draft as `load_content` would and publish it: the scenario (created or
    given its next version), an immutable ScenarioVersion when its content changed, and its
    place in the exercise. All or nothing; raises DraftInvalidError."""
    draft = (
        ScenarioDraft.objects.select_for_update(of=("self",))
        .select_related("exercise")
        .get(pk=draft_id)
    )
    problems = scenario_problems(draft=draft)
    if problems:
        raise DraftInvalidError(problems)
    data = copy.deepcopy(draft.data)
    digest = content_hash(data)
    fields = scenario_fields(data)
    scenario = Scenario.objects.select_for_update().filter(slug=data["id"]).first()
    if scenario is None:
        scenario = Scenario.objects.create(
            slug=data["id"], content_hash=digest, source_path=draft.source_path, **fields
        )
        changed = True
    else:
        changed = scenario.content_hash != digest
        for name, value in fields.items():
            setattr(scenario, name, value)
        if changed:
            scenario.version += 1
            scenario.content_hash = digest
        scenario.retired_at = None
        scenario.save(
            update_fields=[*fields, "version", "content_hash", "retired_at", "updated_at"]
        )
    if changed:
        version = ScenarioVersion.objects.create(
            scenario=scenario, number=scenario.version, content_hash=digest, data=data
        )
    else:
        version = scenario.versions.get(number=scenario.version)
    if not ExerciseScenario.objects.filter(exercise=draft.exercise, scenario=scenario).exists():
        last = ExerciseScenario.objects.filter(exercise=draft.exercise).order_by("-order").first()
        ExerciseScenario.objects.create(
            exercise=draft.exercise, scenario=scenario, order=(last.order + 1) if last else 0
        )
    draft.status = ScenarioDraft.Status.PUBLISHED
    draft.scenario = scenario
    draft.published_version = version
    draft.published_at = timezone.now()
    draft.save(
        update_fields=["status", "scenario", "published_version", "published_at", "updated_at"]
    )
    return version


# ---- rubrics ----------------------------------------------------------------------------

SCORING_KEYS = ("weight", "allow_na", "critical", "critical_cap", "critical_at")


def rubric_is_used(*, version: RubricVersion) -> bool:
    """Whether anything was graded against the version (automatic, trainer or peer grades,
    trainer-graded examples)."""
    from grading.console.models import TrainerReview
    from grading.peer.models import PeerReview

    return (
        Grade.objects.filter(rubric_version=version).exists()
        or TrainerReview.objects.filter(rubric_version=version).exists()
        or PeerReview.objects.filter(rubric_version=version).exists()
        or ExampleSubmission.objects.filter(rubric_version=version).exists()
    )


def _words(item: dict) -> tuple[str, str]:
    """Title and description, as the form gives them back (surrounding blanks dropped)."""
    return (str(item.get("title") or "").strip(), str(item.get("description") or "").strip())


def rubric_diff(old: dict, new: dict) -> tuple[list[str], list[str]]:
    """(scoring changes, wording or order changes) between two expanded rubrics, in words."""
    old_c = {c["id"]: c for c in old["criteria"]}
    new_c = {c["id"]: c for c in new["criteria"]}
    scoring, wording = [], []
    scoring += [f"criterion {key!r} added" for key in new_c if key not in old_c]
    scoring += [f"criterion {key!r} removed" for key in old_c if key not in new_c]
    for key in (k for k in new_c if k in old_c):
        a, b = old_c[key], new_c[key]
        if [lv["points"] for lv in a["levels"]] != [lv["points"] for lv in b["levels"]]:
            scoring.append(f"{key}: levels or points changed")
        for name in SCORING_KEYS:
            before, after = a.get(name), b.get(name)
            if name == "weight":
                before, after = float(before or 1), float(after or 1)
            elif name in ("allow_na", "critical"):
                before, after = bool(before), bool(after)
            if before != after:
                scoring.append(f"{key}: {name} {before} → {after}")
        if _words(a) != _words(b):
            wording.append(f"{key}: wording")
        if [_words(lv) for lv in a["levels"]] != [_words(lv) for lv in b["levels"]] and [
            lv["points"] for lv in a["levels"]
        ] == [lv["points"] for lv in b["levels"]]:
            wording.append(f"{key}: level wording")
    if [k for k in old_c if k in new_c] != [k for k in new_c if k in old_c]:
        wording.append("criteria reordered")
    if _words(old) != _words(new):
        wording.append("rubric title or description")
    return scoring, wording


def rubric_problems(spec: dict) -> list[str]:
    """What the loader's rubric checks would refuse (ids, ascending unique points, caps)."""
    problems = []
    if not str(spec.get("title") or "").strip():
        problems.append("the rubric needs a title")
    if not spec.get("criteria"):
        problems.append("a rubric needs at least one criterion")
    seen = set()
    for criterion in spec.get("criteria", []):
        key = criterion.get("id") or ""
        label = f"criterion {key!r}" if key else "a criterion"
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", key):
            problems.append(f"{label}: the id must be lowercase letters, digits, - or _")
        if key in seen:
            problems.append(f"{label}: duplicate id")
        seen.add(key)
        if not str(criterion.get("title") or "").strip():
            problems.append(f"{label}: a title is needed")
        points = [level["points"] for level in criterion.get("levels", [])]
        if len(points) < 2:
            problems.append(f"{label}: at least two levels")
        if points != sorted(set(points)):
            problems.append(f"{label}: level points must be unique and ascending")
        if any(not str(level.get("title") or "").strip() for level in criterion.get("levels", [])):
            problems.append(f"{label}: every level needs a title")
        if not (float(criterion.get("weight") or 0) > 0):
            problems.append(f"{label}: the weight must be above 0")
        cap = criterion.get("critical_cap")
        if criterion.get("critical") and cap is None:
            problems.append(f"{label}: a critical criterion needs a cap (0 to 1)")
        if cap is not None and not (0 <= float(cap) <= 1):
            problems.append(f"{label}: the cap is a fraction from 0 to 1")
    return problems


def _browser_path(path: str) -> str:
    return path if path.startswith(BROWSER_SOURCE_PREFIX) else f"{BROWSER_SOURCE_PREFIX}{path}"


@transaction.atomic(durable=True)
def rubric_edit(*, rubric_id: int, spec: dict, user) -> RubricChange | None:
    """Apply an edited rubric (the expanded form: title, description, criteria with levels).

    Wording and order change the current version in place. A change to scoring (levels,
    points, weight, critical flag or cap, N/A, a criterion added or removed) creates the
    next RubricVersion once the current one has graded anything, and changes it in place
    before that. Past grades keep the version they point at. None when nothing changed."""
    rubric = (
        Rubric.objects.select_for_update(of=("self",))
        .select_related("current_version")
        .get(pk=rubric_id)
    )
    current = rubric.current_version
    problems = rubric_problems(spec)
    if problems:
        raise RubricEditError(problems)
    new = {**copy.deepcopy(current.snapshot), **spec}
    scoring, wording = rubric_diff(current.snapshot, new)
    if not scoring and not wording:
        return None
    digest = content_hash(new)
    if scoring and rubric_is_used(version=current):
        rubric.version = max(rubric.version, current.number) + 1
        version = RubricVersion.objects.create(
            rubric=rubric,
            number=rubric.version,
            content_hash=digest,
            title=new["title"],
            description=new.get("description", ""),
            description_html=render_markdown(new.get("description", "")),
            snapshot=new,
        )
        rubric_criteria_write(version, new)
        kind = RubricChange.Kind.NEW_REVISION
    else:
        # In place: the version's rows change (immutability protects graded versions; this
        # one has graded nothing, or only its wording changes).
        version = current
        RubricVersion.objects.filter(pk=current.pk).update(
            title=new["title"],
            description=new.get("description", ""),
            description_html=render_markdown(new.get("description", "")),
            snapshot=new,
            content_hash=digest,
        )
        if scoring:
            Level.objects.filter(criterion__rubric_version=current).delete()
            Criterion.objects.filter(rubric_version=current).delete()
            rubric_criteria_write(current, new)
        else:
            _update_wording(current, new)
        kind = RubricChange.Kind.SCORING_IN_PLACE if scoring else RubricChange.Kind.WORDING
    rubric.title = new["title"][:200]
    rubric.content_hash = digest
    rubric.current_version = version
    rubric.source_path = _browser_path(rubric.source_path)
    rubric.save(
        update_fields=[
            "title", "content_hash", "current_version", "version", "source_path", "updated_at",
        ]
    )  # fmt: skip
    return RubricChange.objects.create(
        rubric=rubric,
        from_version=current,
        to_version=version,
        kind=kind,
        summary=scoring + wording,
        changed_by=user,
    )


def _update_wording(version: RubricVersion, new: dict) -> None:
    by_key = {c["id"]: (order, c) for order, c in enumerate(new["criteria"])}
    for criterion in Criterion.objects.filter(rubric_version=version).prefetch_related("levels"):
        order, spec = by_key[criterion.key]
        Criterion.objects.filter(pk=criterion.pk).update(
            order=order, title=spec["title"], description=spec.get("description", "")
        )
        levels = {level["points"]: level for level in spec["levels"]}
        for level in criterion.levels.all():
            Level.objects.filter(pk=level.pk).update(
                title=levels[level.points]["title"],
                description=levels[level.points].get("description", ""),
            )


@transaction.atomic(durable=True)
def rubric_archive(*, rubric_id: int, user, archive: bool = True) -> RubricChange:
    """Archive a rubric (or restore it): never deleted, its versions and grades stay.
    An exercise in use still needs it, so archiving one is refused."""
    rubric = Rubric.objects.select_for_update().get(pk=rubric_id)
    if archive:
        users = list(
            Exercise.objects.filter(rubric_slug=rubric.slug, retired_at__isnull=True)
            .order_by("title")
            .values_list("title", flat=True)
        )
        if users:
            raise RubricEditError(
                [f"exercises still use this rubric: {', '.join(users)}; change them first"]
            )
    rubric.retired_at = timezone.now() if archive else None
    rubric.source_path = _browser_path(rubric.source_path)
    rubric.save(update_fields=["retired_at", "source_path", "updated_at"])
    return RubricChange.objects.create(
        rubric=rubric,
        from_version=rubric.current_version,
        to_version=rubric.current_version,
        kind=RubricChange.Kind.ARCHIVED if archive else RubricChange.Kind.RESTORED,
        changed_by=user,
    )


def _grade_record(grade: Grade) -> dict:
    return {
        "grader": grade.grader,
        "rubric_version": grade.rubric_version.number,
        "rubric_version_id": grade.rubric_version_id,
        "total": grade.total,
        "model_name": grade.model_name,
        "created_at": grade.created_at.isoformat(),
        "scores": {s.criterion_key: s.points for s in grade.scores.all()},
    }


def regrade_mark(*, rubric_id: int, submission_ids: list[int], user) -> list[RegradeMark]:
    """Re-grade the given submissions under the rubric's current revision: each one's
    automatic grades are copied into its mark (the past grade stays readable) and replaced
    by the grading pipeline's new run. Trainer reviews are kept as they were given."""
    from exercises.models import Submission
    from grading.console.grades import final_grades_refresh
    from grading.tasks import grade_submission_task

    rubric = Rubric.objects.select_related("current_version").get(pk=rubric_id)
    target = rubric.current_version
    candidates = (
        Submission.objects.filter(pk__in=submission_ids, exercise__rubric_slug=rubric.slug)
        .filter(Q(grades__rubric_version__rubric=rubric))
        .exclude(grades__rubric_version=target)
        .distinct()
        .values_list("pk", flat=True)
    )
    marks = []
    for submission_id in sorted(candidates):
        with transaction.atomic(durable=True):
            grades = list(
                Grade.objects.select_for_update()
                .filter(submission_id=submission_id)
                .select_related("rubric_version")
                .prefetch_related("scores")
            )
            if not grades or any(g.rubric_version_id == target.pk for g in grades):
                continue
            running = GradingJob.objects.filter(
                submission_id=submission_id, status=GradingJob.Status.RUNNING
            )
            if running.exists():  # being graded now: mark it again once that is done
                continue
            mark, created = RegradeMark.objects.get_or_create(
                submission_id=submission_id,
                to_version=target,
                defaults={
                    "from_version": grades[0].rubric_version,
                    "previous": {"grades": [_grade_record(g) for g in grades]},
                    "marked_by": user,
                },
            )
            if not created:
                continue
            Grade.objects.filter(pk__in=[g.pk for g in grades]).delete()
            GradingJob.objects.filter(submission_id=submission_id).update(
                status=GradingJob.Status.QUEUED,
                claimed_at=None,
                lease_expires_at=None,
                next_attempt_at=None,
                llm_attempts=0,
                llm_failing_since=None,
                finished_at=None,
                updated_at=timezone.now(),
            )
            GradingJob.objects.get_or_create(submission_id=submission_id)
            final_grades_refresh(submission_ids=[submission_id])
            grade_submission_task.delay_on_commit(submission_id=submission_id)
            marks.append(mark)
    return marks
