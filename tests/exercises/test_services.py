"""Workspace autosave, AI draft requests and submitting, through the services."""

import copy
import logging
import uuid

import pytest
from factory.django import mute_signals

from exercises import services
from exercises.errors import (
    DraftUnavailableError,
    SubmissionLimitError,
    SubmissionTokenReusedError,
    SubmissionValidationError,
    WorkspaceConflictError,
)
from exercises.models import DraftRequest, Submission, Workspace
from exercises.signals import submission_committed
from tests.exercises.conftest import SCENARIOS, valid_answer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TYPES = list(SCENARIOS)


def _setup(make_exercise, exercise_type, **fields):
    exercise = make_exercise(exercise_type, **fields)
    scenario = exercise.scenarios.get(slug=SCENARIOS[exercise_type][0])
    agent = UserFactory()
    workspace = services.workspace_open(user=agent, exercise=exercise, scenario=scenario)
    return agent, exercise, scenario, workspace


def _submit(agent, exercise, scenario, answer, token=None):
    return services.submission_create(
        user=agent,
        exercise=exercise,
        scenario=scenario,
        answer=answer,
        client_token=token or uuid.uuid4(),
    )


# ---- autosave -----------------------------------------------------------------------------


def test_saving_stores_the_answer_and_bumps_the_revision(tone_exercise):
    agent = UserFactory()
    scenario = tone_exercise.scenarios.first()
    workspace = services.workspace_open(user=agent, exercise=tone_exercise, scenario=scenario)
    assert workspace.revision == 0
    saved = services.workspace_save(
        user=agent, workspace_id=workspace.pk, answer={"prompt": "v1"}, revision=0
    )
    assert saved.revision == 1
    assert Workspace.objects.get(pk=workspace.pk).answer == {"prompt": "v1"}


def test_a_stale_revision_is_refused_and_the_newer_work_kept(tone_exercise):
    agent = UserFactory()
    scenario = tone_exercise.scenarios.first()
    workspace = services.workspace_open(user=agent, exercise=tone_exercise, scenario=scenario)
    services.workspace_save(
        user=agent, workspace_id=workspace.pk, answer={"prompt": "tab A"}, revision=0
    )
    with pytest.raises(WorkspaceConflictError) as caught:
        services.workspace_save(
            user=agent, workspace_id=workspace.pk, answer={"prompt": "tab B"}, revision=0
        )
    assert caught.value.workspace.revision == 1
    assert caught.value.workspace.answer == {"prompt": "tab A"}
    assert Workspace.objects.get(pk=workspace.pk).answer == {"prompt": "tab A"}


def test_nobody_saves_into_another_agents_workspace(tone_exercise):
    owner = UserFactory()
    workspace = services.workspace_open(
        user=owner, exercise=tone_exercise, scenario=tone_exercise.scenarios.first()
    )
    with pytest.raises(Workspace.DoesNotExist):
        services.workspace_save(
            user=UserFactory(), workspace_id=workspace.pk, answer={}, revision=0
        )


def test_the_audit_reply_starts_as_the_draft_under_audit(make_exercise):
    _, _, scenario, workspace = _setup(make_exercise, "audit")
    assert workspace.answer["reply"] == scenario.data["draft"]


# ---- AI drafts without an LLM -------------------------------------------------------------


def test_asking_for_a_draft_without_a_prompt_says_what_to_do(tone_exercise):
    agent = UserFactory()
    workspace = services.workspace_open(
        user=agent, exercise=tone_exercise, scenario=tone_exercise.scenarios.first()
    )
    with pytest.raises(DraftUnavailableError, match="Write your prompt first"):
        services.draft_request_create(user=agent, workspace_id=workspace.pk)


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("He is frustrated: be empathetic and solution-oriented.", "calibrated"),
        ("Write a reply about the charge.", "generic"),
    ],
)
def test_without_an_llm_the_authored_draft_matching_the_prompt_is_served(
    make_exercise, django_capture_on_commit_callbacks, prompt, expected
):
    agent, _, scenario, workspace = _setup(make_exercise, "tone")
    services.workspace_save(
        user=agent, workspace_id=workspace.pk, answer={"prompt": prompt}, revision=0
    )
    with django_capture_on_commit_callbacks(execute=True):
        (draft,) = services.draft_request_create(user=agent, workspace_id=workspace.pk)
    draft.refresh_from_db()
    assert draft.status == DraftRequest.Status.DONE
    assert draft.source == DraftRequest.Source.AUTHORED
    assert draft.authored_key == expected
    assert draft.text == scenario.data["drafts"][expected].strip()


def test_context_drafts_come_with_and_without_context(
    make_exercise, django_capture_on_commit_callbacks
):
    agent, _, scenario, workspace = _setup(make_exercise, "context")
    answer = valid_answer("context")
    services.workspace_save(user=agent, workspace_id=workspace.pk, answer=answer, revision=0)
    with django_capture_on_commit_callbacks(execute=True):
        drafts = services.draft_request_create(user=agent, workspace_id=workspace.pk)
    texts = {d.variant: DraftRequest.objects.get(pk=d.pk).text for d in drafts}
    assert set(texts) == {"with_context", "without_context"}
    assert texts["with_context"] == scenario.data["drafts"]["with_context"].strip()
    with_context_prompt = next(d.prompt for d in drafts if d.variant == "with_context")
    assert answer["summary"] in with_context_prompt and "tkt-30817" in with_context_prompt


def test_a_double_click_while_generating_reuses_the_pending_request(make_exercise):
    agent, _, _, workspace = _setup(make_exercise, "tone")
    services.workspace_save(
        user=agent, workspace_id=workspace.pk, answer={"prompt": "Hi"}, revision=0
    )
    # No on_commit execution: the first request stays pending.
    first = services.draft_request_create(user=agent, workspace_id=workspace.pk)
    second = services.draft_request_create(user=agent, workspace_id=workspace.pk)
    assert [d.pk for d in first] == [d.pk for d in second]
    assert DraftRequest.objects.count() == 1


def test_rca_has_no_ai_draft(make_exercise):
    agent, _, _, workspace = _setup(make_exercise, "rca")
    with pytest.raises(DraftUnavailableError):
        services.draft_request_create(user=agent, workspace_id=workspace.pk)


def test_a_redelivered_draft_task_is_a_no_op(make_exercise, django_capture_on_commit_callbacks):
    agent, _, _, workspace = _setup(make_exercise, "tone")
    services.workspace_save(
        user=agent, workspace_id=workspace.pk, answer={"prompt": "Hi"}, revision=0
    )
    with django_capture_on_commit_callbacks(execute=True):
        (draft,) = services.draft_request_create(user=agent, workspace_id=workspace.pk)
    finished = DraftRequest.objects.get(pk=draft.pk).finished_at
    services.draft_request_run(draft_request_id=draft.pk)
    assert DraftRequest.objects.get(pk=draft.pk).finished_at == finished


# ---- submitting ---------------------------------------------------------------------------


@pytest.mark.parametrize("exercise_type", TYPES)
def test_a_complete_answer_of_every_type_submits_in_the_spec_format(
    make_exercise, answer_schema, exercise_type
):
    agent, exercise, scenario, _ = _setup(make_exercise, exercise_type)
    submission = _submit(agent, exercise, scenario, valid_answer(exercise_type))
    answer_schema(exercise_type, submission.answer)
    assert submission.attempt == 1
    assert submission.scenario_version == scenario.versions.get(number=1)
    assert submission.exercise_version == exercise.version


def test_the_submitted_answer_drops_workspace_only_details(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "audit")
    submission = _submit(agent, exercise, scenario, valid_answer("audit"))
    assert set(submission.answer["findings"][0]) == {"span", "type", "correction", "fact_id"}
    assert submission.meta == {"finding_offsets": [{"start": 120, "end": 166}]}


REQUIRED_FIELDS = {
    "tone": ["identified_state", "indicators", "prompt", "draft_tone_fits", "reply"],
    "context": ["summary", "prompt", "reply"],
    "empathy": ["dimension", "prompt", "draft_empathy_rating", "reply"],
    "audit": ["reply"],
}


@pytest.mark.parametrize(
    ("exercise_type", "field"),
    [(t, f) for t, fields in REQUIRED_FIELDS.items() for f in fields],
)
def test_a_missing_step_blocks_submitting_with_a_message_on_that_field(
    make_exercise, exercise_type, field
):
    agent, exercise, scenario, _ = _setup(make_exercise, exercise_type)
    answer = valid_answer(exercise_type)
    answer[field] = [] if isinstance(answer[field], list) else ""
    with pytest.raises(SubmissionValidationError) as caught:
        _submit(agent, exercise, scenario, answer)
    assert list(caught.value.errors) == [field]
    assert not Submission.objects.exists()


def test_escalation_fields_are_checked_one_by_one(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "escalation")
    answer = valid_answer("escalation")
    answer["sentiment"]["severity"] = 11
    answer["sentiment"]["relationship_risk"] = "catastrophic"
    answer["plan"]["avoid"] = "   "
    with pytest.raises(SubmissionValidationError) as caught:
        _submit(agent, exercise, scenario, answer)
    assert caught.value.errors == {
        "sentiment__severity": ["Severity goes from 1 to 10."],
        "sentiment__relationship_risk": ["Pick one of the options."],
        "plan__avoid": ["This step is required."],
    }


def test_rca_needs_every_detail_classified_but_a_long_report_is_not_blocked(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "rca")
    answer = valid_answer("rca")
    del answer["classification"]["key-storage"]
    answer["report"]["root_cause"] = "word " * 700
    with pytest.raises(SubmissionValidationError) as caught:
        _submit(agent, exercise, scenario, answer)
    assert list(caught.value.errors) == ["classification__key-storage"]
    answer["classification"]["key-storage"] = "internal"
    assert _submit(agent, exercise, scenario, answer).edit_class == "no_draft"


def test_bad_input_types_are_reported_not_crashed_on(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "empathy")
    answer = valid_answer("empathy") | {"draft_empathy_rating": "lots", "dimension": "hunger"}
    with pytest.raises(SubmissionValidationError) as caught:
        _submit(agent, exercise, scenario, answer)
    assert set(caught.value.errors) == {"draft_empathy_rating", "dimension"}


@pytest.mark.parametrize(
    ("finding", "message"),
    [
        ({"span": "Not in the draft at all"}, "is not a passage of the draft"),
        ({"fact_id": "no-such-fact"}, "is not a knowledge-base fact"),
        ({"fact_id": None}, "cite the knowledge-base fact"),
        ({"type": "typo"}, "choose the error type"),
    ],
)
def test_audit_findings_are_checked_against_the_draft_and_the_kb(make_exercise, finding, message):
    agent, exercise, scenario, _ = _setup(make_exercise, "audit")
    answer = valid_answer("audit")
    answer["findings"][0].update(finding)
    with pytest.raises(SubmissionValidationError) as caught:
        _submit(agent, exercise, scenario, answer)
    assert message in caught.value.errors["findings"][0]


def test_a_finding_without_a_fact_is_fine_for_an_irrelevant_answer(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "audit")
    answer = valid_answer("audit")
    answer["findings"][0].update({"type": "irrelevant_answer", "fact_id": None})
    assert _submit(agent, exercise, scenario, answer).answer["findings"][0]["fact_id"] is None


def test_a_reply_over_twice_the_word_limit_is_refused_with_the_numbers(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "tone", settings={"reply_max_words": 10})
    answer = valid_answer("tone") | {"reply": "word " * 21}
    with pytest.raises(SubmissionValidationError) as caught:
        _submit(agent, exercise, scenario, answer)
    (message,) = caught.value.errors["reply"]
    assert "21 words" in message and "10 words" in message and "20 words" in message
    assert _submit(agent, exercise, scenario, answer | {"reply": "word " * 20}).attempt == 1


def test_a_double_submit_makes_one_submission(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "tone")
    token = uuid.uuid4()
    first = _submit(agent, exercise, scenario, valid_answer("tone"), token)
    second = _submit(agent, exercise, scenario, valid_answer("tone"), token)
    assert first.pk == second.pk
    assert Submission.objects.count() == 1


def test_the_same_token_with_another_answer_is_not_taken_for_a_double_submit(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "tone")
    token = uuid.uuid4()
    first = _submit(agent, exercise, scenario, valid_answer("tone"), token)
    edited = valid_answer("tone") | {"reply": "A different reply, written after submitting."}
    with pytest.raises(SubmissionTokenReusedError) as caught:
        _submit(agent, exercise, scenario, edited, token)
    assert caught.value.submission == first
    assert Submission.objects.count() == 1


def test_attempts_count_up_to_the_exercise_limit(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "tone", settings={"max_submissions": 2})
    assert _submit(agent, exercise, scenario, valid_answer("tone")).attempt == 1
    assert _submit(agent, exercise, scenario, valid_answer("tone")).attempt == 2
    with pytest.raises(SubmissionLimitError, match="all 2 attempts"):
        _submit(agent, exercise, scenario, valid_answer("tone"))
    assert Submission.objects.count() == 2


def test_attempts_are_counted_per_scenario(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "tone", settings={"max_submissions": 1})
    other = exercise.scenarios.exclude(pk=scenario.pk).get()
    _submit(agent, exercise, scenario, valid_answer("tone"))
    assert _submit(agent, exercise, other, valid_answer("tone")).attempt == 1


def test_submissions_are_immutable(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "tone")
    submission = _submit(agent, exercise, scenario, valid_answer("tone"))
    submission.answer = {"reply": "changed"}
    with pytest.raises(ValueError, match="immutable"):
        submission.save()


def test_a_later_scenario_version_is_what_a_new_submission_records(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "tone")
    first = _submit(agent, exercise, scenario, valid_answer("tone"))
    newer = scenario.versions.create(number=2, content_hash="v2", data=scenario.data)
    second = _submit(agent, exercise, scenario, valid_answer("tone"))
    assert (first.scenario_version, second.scenario_version) == (
        scenario.versions.get(number=1),
        newer,
    )


def test_editing_metrics_compare_the_reply_with_the_draft_used(
    make_exercise, django_capture_on_commit_callbacks
):
    agent, exercise, scenario, workspace = _setup(make_exercise, "tone")
    services.workspace_save(
        user=agent, workspace_id=workspace.pk, answer={"prompt": "frustrated"}, revision=0
    )
    with django_capture_on_commit_callbacks(execute=True):
        (draft,) = services.draft_request_create(user=agent, workspace_id=workspace.pk)
    text = DraftRequest.objects.get(pk=draft.pk).text
    answer = valid_answer("tone") | {"reply": text}
    as_drafted = _submit(agent, exercise, scenario, answer)
    assert (as_drafted.edit_class, as_drafted.edit_distance) == ("as_drafted", 0)
    assert as_drafted.ai_draft == text and as_drafted.ai_draft_source == "authored"
    light = _submit(
        agent,
        exercise,
        scenario,
        answer
        | {
            "reply": text
            + (
                "\n\nP.S. Anything else on your billing, just reply to this email and I will "
                "pick it up myself, Derek. Thanks for your patience today."
            )
        },
    )
    assert light.edit_class == "light"
    rewritten = _submit(agent, exercise, scenario, answer | {"reply": "Refund issued. Bye."})
    assert rewritten.edit_class == "rewritten"


def test_a_reply_written_without_any_draft_is_no_draft(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "tone")
    submission = _submit(agent, exercise, scenario, valid_answer("tone"))
    assert (submission.edit_class, submission.edit_distance, submission.ai_draft) == (
        "no_draft",
        None,
        "",
    )


def test_audit_metrics_use_the_audited_draft_and_the_checklist(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "audit")
    answer = valid_answer("audit") | {"reply": scenario.data["draft"]}
    partial = _submit(agent, exercise, scenario, answer)
    assert (partial.edit_class, partial.checklist_complete) == ("as_drafted", False)
    everything = [key for key, _ in services.answers.CHECKLIST]
    full = _submit(agent, exercise, scenario, answer | {"checklist": everything})
    assert full.checklist_complete is True


def test_time_on_task_runs_from_the_workspace_start_and_restarts_per_attempt(make_exercise):
    agent, exercise, scenario, workspace = _setup(make_exercise, "tone")
    Workspace.objects.filter(pk=workspace.pk).update(
        started_at=workspace.started_at - services.timedelta(minutes=12)
    )
    first = _submit(agent, exercise, scenario, valid_answer("tone"))
    assert 12 * 60 <= first.time_on_task_seconds < 12 * 60 + 30
    second = _submit(agent, exercise, scenario, valid_answer("tone"))
    assert second.time_on_task_seconds < 30


def test_the_workspace_keeps_the_submitted_answer_to_revise_from(make_exercise):
    agent, exercise, scenario, workspace = _setup(make_exercise, "tone")
    answer = valid_answer("tone")
    _submit(agent, exercise, scenario, copy.deepcopy(answer))
    workspace.refresh_from_db()
    assert workspace.answer == answer
    assert workspace.revision == 1


def test_submission_committed_is_sent_after_commit(
    make_exercise, django_capture_on_commit_callbacks, submission_hook
):
    agent, exercise, scenario, _ = _setup(make_exercise, "tone")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = _submit(agent, exercise, scenario, valid_answer("tone"))
    assert submission_hook == []
    for callback in callbacks:
        callback()
    assert submission_hook == [submission.pk]


def test_a_failing_receiver_is_logged_and_the_submission_stands(
    make_exercise, django_capture_on_commit_callbacks, caplog
):
    def fail(sender, **kwargs):
        raise RuntimeError("grading is down")

    submission_committed.connect(fail, dispatch_uid="tests.fail")
    try:
        agent, exercise, scenario, _ = _setup(make_exercise, "tone")
        with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
            submission = _submit(agent, exercise, scenario, valid_answer("tone"))
    finally:
        submission_committed.disconnect(dispatch_uid="tests.fail")
    assert Submission.objects.filter(pk=submission.pk).exists()
    assert "grading is down" in caplog.text


def test_without_a_receiver_the_submission_stands_ungraded(
    make_exercise, django_capture_on_commit_callbacks
):
    agent, exercise, scenario, _ = _setup(make_exercise, "tone")
    with mute_signals(submission_committed), django_capture_on_commit_callbacks(execute=True):
        submission = _submit(agent, exercise, scenario, valid_answer("tone"))
    assert Submission.objects.filter(pk=submission.pk).exists()


# ---- stale tabs, fresh audits, repeated findings ----------------------------------------------


def test_a_stale_tab_cannot_submit_and_spends_no_attempt(make_exercise):
    agent, exercise, scenario, workspace = _setup(make_exercise, "tone")
    services.workspace_save(
        user=agent, workspace_id=workspace.pk, answer={"prompt": "tab A"}, revision=0
    )
    with pytest.raises(WorkspaceConflictError) as caught:
        services.submission_create(
            user=agent,
            exercise=exercise,
            scenario=scenario,
            answer=valid_answer("tone"),
            client_token=uuid.uuid4(),
            revision=0,
        )
    assert caught.value.workspace.revision == 1
    assert not Submission.objects.exists()
    # The current page submits.
    submission = services.submission_create(
        user=agent,
        exercise=exercise,
        scenario=scenario,
        answer=valid_answer("tone"),
        client_token=uuid.uuid4(),
        revision=1,
    )
    assert submission.attempt == 1


def test_a_second_audit_attempt_starts_from_the_untouched_draft(make_exercise):
    agent, exercise, scenario, workspace = _setup(make_exercise, "audit")
    _submit(agent, exercise, scenario, valid_answer("audit"))
    workspace.refresh_from_db()
    assert workspace.answer["findings"] == []
    assert workspace.answer["checklist"] == []
    assert workspace.answer["reply"] == scenario.data["draft"]
    assert Submission.objects.get().answer["findings"]  # the first attempt keeps its own


@pytest.mark.parametrize(
    "repeat",
    [
        {},
        {"span": "  On your Growth plan you can\nset it up yourself ", "correction": "Other."},
    ],
)
def test_a_repeated_finding_is_refused_with_a_clear_message(make_exercise, repeat):
    agent, exercise, scenario, _ = _setup(make_exercise, "audit")
    answer = valid_answer("audit")
    answer["findings"].append({**answer["findings"][0], **repeat})
    with pytest.raises(SubmissionValidationError) as caught:
        _submit(agent, exercise, scenario, answer)
    assert caught.value.errors["findings"] == [
        "Finding 2 repeats finding 1 (the same passage and type): remove one of them."
    ]


def test_the_same_passage_with_another_type_is_two_findings(make_exercise):
    agent, exercise, scenario, _ = _setup(make_exercise, "audit")
    answer = valid_answer("audit")
    answer["findings"].append({**answer["findings"][0], "type": "wrong_policy"})
    assert len(_submit(agent, exercise, scenario, answer).answer["findings"]) == 2
