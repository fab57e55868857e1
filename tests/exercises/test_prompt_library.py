"""The prompt-template library: authoring, proposing and approving versions, inserting a
template into the workspace's prompt, and linking the use to the next submission."""

import uuid

import pytest
from django.urls import reverse

from exercises import services
from exercises.errors import PromptTemplateError, WorkspaceConflictError
from exercises.models import PromptTemplate, PromptTemplateUse, PromptTemplateVersion
from exercises.prompt_library import selectors
from exercises.prompt_library import services as library
from tests.exercises.conftest import valid_answer
from tests.factories import (
    PromptTemplateFactory,
    PromptTemplateVersionFactory,
    TrainerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}
BODY = "Write to {customer_name}, who is {state}. Lead with the fix.\n{facts}\n{constraints}"


@pytest.fixture
def workspace(tone_exercise):
    agent = UserFactory()
    scenario = tone_exercise.scenarios.get(slug="tone-charged-twice-caps")
    return services.workspace_open(user=agent, exercise=tone_exercise, scenario=scenario)


def _create(user, **fields):
    values = {
        "name": "Frustrated, solution first",
        "exercise_type": "tone",
        "customer_state": "frustrated",
        "body": BODY,
        "change_note": "From the March calibration.",
    }
    values.update(fields)
    return library.prompt_template_create(user=user, **values)


# ---- authoring and proposals -------------------------------------------------------------


def test_a_trainers_template_is_approved_at_once():
    trainer = TrainerFactory()
    version = _create(trainer)
    assert version.number == 1
    assert version.status == PromptTemplateVersion.Status.APPROVED
    assert version.reviewed_by == trainer
    assert selectors.prompt_template_choices(exercise_type="tone") == [version]


def test_an_agents_template_waits_for_a_trainer_and_is_not_offered():
    agent = UserFactory()
    version = _create(agent)
    assert version.status == PromptTemplateVersion.Status.PROPOSED
    assert version.reviewed_at is None
    assert selectors.prompt_template_choices(exercise_type="tone") == []
    assert selectors.prompt_proposals_pending() == [version]


def test_a_trainers_new_version_becomes_current_and_keeps_history():
    trainer = TrainerFactory()
    first = _create(trainer)
    second = library.prompt_template_version_add(
        user=trainer, template_id=first.template_id, body="Hi {customer_name}.", change_note="Short"
    )
    assert second.number == 2
    assert selectors.prompt_template_choices(exercise_type="tone") == [second]
    [entry] = selectors.prompt_library(user=UserFactory())
    assert entry.current == second
    assert [v.number for v in entry.versions] == [2, 1]


def test_approving_an_agents_proposal_makes_it_current():
    trainer, agent = TrainerFactory(), UserFactory()
    first = _create(trainer)
    proposal = library.prompt_template_version_add(
        user=agent, template_id=first.template_id, body=BODY + " Sign off.", change_note="Sign"
    )
    assert selectors.prompt_template_choices(exercise_type="tone") == [first]
    library.prompt_template_version_review(
        user=trainer, version_id=proposal.pk, approve=True, note="Good catch."
    )
    proposal.refresh_from_db()
    assert proposal.status == "approved" and proposal.reviewed_by == trainer
    assert selectors.prompt_template_choices(exercise_type="tone") == [proposal]


def test_rejecting_needs_a_note_and_a_decision_is_made_once():
    trainer, agent = TrainerFactory(), UserFactory()
    proposal = _create(agent)
    with pytest.raises(PromptTemplateError, match="Say why") as exc:
        library.prompt_template_version_review(user=trainer, version_id=proposal.pk, approve=False)
    assert exc.value.field == "note"
    library.prompt_template_version_review(
        user=trainer, version_id=proposal.pk, approve=False, note="Too long for chat."
    )
    with pytest.raises(PromptTemplateError, match="already rejected"):
        library.prompt_template_version_review(user=trainer, version_id=proposal.pk, approve=True)


def test_agents_cannot_approve():
    proposal = _create(UserFactory())
    with pytest.raises(PromptTemplateError, match="Only trainers"):
        library.prompt_template_version_review(
            user=UserFactory(), version_id=proposal.pk, approve=True
        )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  "}, "name", "name is required"),
        ({"exercise_type": "audit"}, "exercise_type", "prompt box"),
        ({"customer_state": "sleepy"}, "customer_state", "customer states"),
        ({"body": "Dear {customer}, {facts}"}, "body", r"Unknown placeholder \{customer\}"),
        ({"body": "x" * 4001}, "body", "under 4,000"),
        ({"change_note": ""}, "change_note", "change note is required"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(fields, field, message):
    with pytest.raises(PromptTemplateError, match=message) as exc:
        _create(TrainerFactory(), **fields)
    assert exc.value.field == field
    assert not PromptTemplate.objects.exists()


def test_a_second_template_of_the_same_name_type_and_state_is_refused():
    _create(TrainerFactory())
    with pytest.raises(PromptTemplateError, match="already exists") as exc:
        _create(TrainerFactory())
    assert exc.value.field == "name"
    # Another state may reuse the name.
    _create(TrainerFactory(), customer_state="urgent")


def test_support_leaders_write_no_templates():
    from tests.factories import SupportLeaderFactory

    with pytest.raises(PromptTemplateError, match="Only agents and trainers"):
        _create(SupportLeaderFactory())


# ---- filling in and inserting ------------------------------------------------------------


def test_fill_replaces_known_values_and_leaves_unknown_ones_to_the_agent():
    text = library.prompt_template_fill(body=BODY, values={"customer_name": "Dana", "state": ""})
    assert text.startswith("Write to Dana, who is {state}.")
    assert "{facts}" in text


def test_insert_fills_from_the_workspace_appends_and_records_the_use(workspace):
    version = PromptTemplateVersionFactory(body=BODY)
    workspace.answer = {**workspace.answer, "prompt": "My own start."}
    workspace.save(update_fields=["answer"])
    saved, prompt = library.prompt_template_insert(
        user=workspace.user, workspace_id=workspace.pk, version_id=version.pk, revision=0
    )
    assert saved.revision == 1
    assert prompt.startswith("My own start.\n\nWrite to ")
    assert workspace.scenario.customer_name in prompt
    assert "who is frustrated" in prompt  # the template's state, never the answer key
    assert "Keep the reply under" in prompt
    assert "{" not in prompt
    assert saved.answer["prompt"] == prompt
    use = PromptTemplateUse.objects.get()
    assert (use.version, use.user, use.submission) == (version, workspace.user, None)


def test_a_template_for_any_state_takes_the_state_the_agent_identified(workspace):
    version = PromptTemplateVersionFactory(body="The customer is {state}.")
    version.template.customer_state = ""
    version.template.save(update_fields=["customer_state"])
    _, prompt = library.prompt_template_insert(
        user=workspace.user, workspace_id=workspace.pk, version_id=version.pk, revision=0
    )
    assert prompt == "The customer is {state}."  # nothing identified yet: left to fill
    workspace.refresh_from_db()
    workspace.answer = {**workspace.answer, "identified_state": "urgent", "prompt": ""}
    workspace.save(update_fields=["answer"])
    _, prompt = library.prompt_template_insert(
        user=workspace.user, workspace_id=workspace.pk, version_id=version.pk, revision=1
    )
    assert prompt == "The customer is urgent."


def test_insert_refuses_proposals_other_types_and_stale_revisions(workspace):
    proposal = PromptTemplateVersionFactory(status="proposed", reviewed_at=None)
    other = PromptTemplateVersionFactory(template=PromptTemplateFactory(exercise_type="empathy"))
    current = PromptTemplateVersionFactory()
    with pytest.raises(PromptTemplateError, match="approved templates"):
        library.prompt_template_insert(
            user=workspace.user, workspace_id=workspace.pk, version_id=proposal.pk, revision=0
        )
    with pytest.raises(PromptTemplateError, match="another kind"):
        library.prompt_template_insert(
            user=workspace.user, workspace_id=workspace.pk, version_id=other.pk, revision=0
        )
    with pytest.raises(WorkspaceConflictError):
        library.prompt_template_insert(
            user=workspace.user, workspace_id=workspace.pk, version_id=current.pk, revision=7
        )
    assert not PromptTemplateUse.objects.exists()
    workspace.refresh_from_db()
    assert workspace.revision == 0


def test_submitting_links_the_uses_since_the_last_attempt(workspace, tone_exercise):
    version = PromptTemplateVersionFactory()
    library.prompt_template_insert(
        user=workspace.user, workspace_id=workspace.pk, version_id=version.pk, revision=0
    )
    first = services.submission_create(
        user=workspace.user,
        exercise=tone_exercise,
        scenario=workspace.scenario,
        answer=valid_answer("tone"),
        client_token=uuid.uuid4(),
    )
    second = services.submission_create(
        user=workspace.user,
        exercise=tone_exercise,
        scenario=workspace.scenario,
        answer=valid_answer("tone"),
        client_token=uuid.uuid4(),
    )
    assert list(PromptTemplateUse.objects.values_list("submission", flat=True)) == [first.pk]
    assert not second.prompt_template_uses.exists()


# ---- pages --------------------------------------------------------------------------------


def _workspace_form(workspace, **extra):
    answer = valid_answer("tone")
    data = {
        "revision": str(workspace.revision),
        "client_token": str(uuid.uuid4()),
        "identified_state": answer["identified_state"],
        "indicators": "\n".join(answer["indicators"]),
        "prompt": "Typed before inserting.",
        "draft_tone_fits": "",
        "reply": "",
    }
    data.update(extra)
    return data


def test_the_workspace_offers_the_current_versions_and_inserts_without_javascript(
    client, workspace
):
    old = PromptTemplateVersionFactory(number=1, body="Old {customer_name}")
    current = PromptTemplateVersionFactory(
        template=old.template, number=2, body="New for {customer_name}"
    )
    client.force_login(workspace.user)
    url = reverse("exercises:workspace", args=[workspace.exercise.slug, workspace.scenario.slug])
    page = client.get(url).content.decode()
    assert f'<option value="{current.pk}">' in page
    assert f'value="{old.pk}"' not in page
    insert = reverse(
        "exercises:workspace-insert-template",
        args=[workspace.exercise.slug, workspace.scenario.slug],
    )
    response = client.post(insert, _workspace_form(workspace, prompt_template=str(current.pk)))
    assert response.status_code == 302
    assert response["Location"].endswith("#step-prompt")
    workspace.refresh_from_db()
    assert workspace.answer["prompt"].startswith("Typed before inserting.\n\nNew for ")
    assert workspace.answer["identified_state"] == "frustrated"  # the rest was saved too


def test_insert_by_json_returns_the_prompt_and_a_bad_choice_loses_nothing(client, workspace):
    version = PromptTemplateVersionFactory(body="Hello {customer_name}")
    client.force_login(workspace.user)
    insert = reverse(
        "exercises:workspace-insert-template",
        args=[workspace.exercise.slug, workspace.scenario.slug],
    )
    bad = client.post(insert, _workspace_form(workspace, prompt_template="nope"), **JSON)
    assert bad.status_code == 400
    assert bad.json()["message"] == "Pick one of the approved templates."
    assert bad.json()["revision"] == 1
    workspace.refresh_from_db()
    assert workspace.answer["prompt"] == "Typed before inserting."  # saved, not lost
    good = client.post(insert, _workspace_form(workspace, prompt_template=str(version.pk)), **JSON)
    assert good.status_code == 200
    assert good.json()["revision"] == 3
    assert good.json()["prompt"].endswith(f"Hello {workspace.scenario.customer_name}")
    stale = client.post(
        insert, _workspace_form(workspace, revision="1", prompt_template=str(version.pk)), **JSON
    )
    assert stale.status_code == 409


def test_agents_propose_from_the_library_page_and_keep_what_they_typed(client):
    agent = UserFactory()
    current = PromptTemplateVersionFactory()
    client.force_login(agent)
    page = client.get(reverse("exercises:prompt-library"))
    assert page.status_code == 200
    assert current.template.name in page.content.decode()
    bad = client.post(
        reverse("exercises:prompt-version-propose", args=[current.template_id]),
        {"body": "Dear {nme}", "change_note": "Friendlier"},
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "Unknown placeholder {nme}" in html and "Dear {nme}" in html and "Friendlier" in html
    ok = client.post(
        reverse("exercises:prompt-version-propose", args=[current.template_id]),
        {"body": "Dear {customer_name}", "change_note": "Friendlier"},
    )
    assert ok.status_code == 302
    proposal = PromptTemplateVersion.objects.get(status="proposed")
    assert (proposal.author, proposal.number) == (agent, current.number + 1)
    created = client.post(
        reverse("exercises:prompt-template-propose"),
        {
            "name": "Confused, step by step",
            "exercise_type": "tone",
            "customer_state": "confused",
            "body": "Explain to {customer_name} step by step.",
            "change_note": "New",
        },
    )
    assert created.status_code == 302
    # Another agent sees neither proposal.
    client.force_login(UserFactory())
    html = client.get(reverse("exercises:prompt-library")).content.decode()
    assert "Confused, step by step" not in html and "Friendlier" not in html


def test_trainers_and_leaders_are_refused_the_agent_library(client):
    client.force_login(TrainerFactory())
    assert client.get(reverse("exercises:prompt-library")).status_code == 403


def test_the_agent_library_reads_a_constant_number_of_queries(client, django_assert_num_queries):
    agent = UserFactory()
    client.force_login(agent)
    url = reverse("exercises:prompt-library")
    PromptTemplateVersionFactory()
    client.get(url)
    with django_assert_num_queries(5) as small:
        client.get(url)
    for _ in range(4):
        template = PromptTemplateVersionFactory().template
        PromptTemplateVersionFactory(
            template=template, author=agent, status="proposed", reviewed_by=None, reviewed_at=None
        )
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)


# ---- access rules: every role against each library object ---------------------------------

ROLES = ["author", "other_agent", "cohort_trainer", "other_trainer", "staff", "support_leader"]
VIEW = {
    "template": {"author", "other_agent", "cohort_trainer", "other_trainer", "staff"},
    "approved": {"author", "other_agent", "cohort_trainer", "other_trainer", "staff"},
    "proposal": {"author", "cohort_trainer", "other_trainer", "staff"},
    "use": {"author", "cohort_trainer", "staff"},
}
CHANGE = {
    "template": {"cohort_trainer", "other_trainer", "staff"},
    "approved": {"cohort_trainer", "other_trainer", "staff"},
    "proposal": {"cohort_trainer", "other_trainer", "staff"},
    "use": set(),
}


@pytest.fixture
def library_world(workspace):
    from curriculum import access  # noqa: F401 - rules are registered at startup
    from tests.factories import (
        CohortFactory,
        MembershipFactory,
        PromptTemplateUseFactory,
        SupportLeaderFactory,
    )

    author = workspace.user
    cohort_trainer = TrainerFactory()
    MembershipFactory(cohort=CohortFactory(trainers=[cohort_trainer]), user=author)
    approved = PromptTemplateVersionFactory()
    proposal = PromptTemplateVersionFactory(
        template=approved.template, author=author, status="proposed", reviewed_by=None,
        reviewed_at=None,
    )  # fmt: skip
    use = PromptTemplateUseFactory(version=approved, workspace=workspace)
    roles = {
        "author": author,
        "other_agent": UserFactory(),
        "cohort_trainer": cohort_trainer,
        "other_trainer": TrainerFactory(),
        "staff": UserFactory(is_staff=True),
        "support_leader": SupportLeaderFactory(),
    }
    objects = {"template": approved.template, "approved": approved, "proposal": proposal,
               "use": use}  # fmt: skip
    return roles, objects


@pytest.mark.parametrize("kind", list(VIEW))
@pytest.mark.parametrize("role", ROLES)
def test_library_access_rules(library_world, kind, role):
    from curriculum import access

    roles, objects = library_world
    user, obj = roles[role], objects[kind]
    assert access.can_view(user, obj) == (role in VIEW[kind])
    assert access.can_change(user, obj) == (role in CHANGE[kind])
