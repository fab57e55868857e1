"""The pages: who may open what, the workspace of every type, autosave, drafts, submitting."""

import json
import uuid

import pytest
from django.urls import reverse

from exercises import services
from exercises.models import DraftRequest, Submission, Workspace
from tests.exercises.conftest import SCENARIOS, valid_answer
from tests.factories import (
    CohortFactory,
    MembershipFactory,
    SubmissionFactory,
    TrainerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


def _urls(exercise, scenario):
    args = [exercise.slug, scenario.slug]
    return {
        name: reverse(f"exercises:{name}", args=args)
        for name in ("workspace", "workspace-save", "draft-request", "workspace-submit")
    }


def _form(exercise_type, answer, *, revision=0, token=None, **extra):
    """The workspace form's POST data for an answer (field names as in the templates)."""
    data = {"revision": str(revision), "client_token": str(token or uuid.uuid4())}
    for key, value in answer.items():
        if key == "findings":
            data["findings"] = json.dumps(value)
        elif key == "classification":
            data.update({f"classification__{k}": v for k, v in value.items()})
        elif isinstance(value, dict):
            for inner, inner_value in value.items():
                if isinstance(inner_value, list):
                    inner_value = "\n".join(inner_value)
                data[f"{key}__{inner}"] = "" if inner_value is None else str(inner_value)
        elif key in ("checklist", "relevant_history"):
            data[key] = value
        elif isinstance(value, list):
            data[key] = "\n".join(value)
        else:
            data[key] = "" if value is None else str(value)
    data.update(extra)
    return data


@pytest.fixture
def setup(make_exercise, client):
    def make(exercise_type, **fields):
        exercise = make_exercise(exercise_type, **fields)
        scenario = exercise.scenarios.get(slug=SCENARIOS[exercise_type][0])
        agent = UserFactory()
        client.force_login(agent)
        return agent, exercise, scenario, _urls(exercise, scenario)

    return make


# ---- access -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, tone_exercise):
    urls = _urls(tone_exercise, tone_exercise.scenarios.first())
    for url in [urls["workspace"], reverse("exercises:submission-list")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_trainers_do_not_get_a_workspace(client, tone_exercise):
    client.force_login(TrainerFactory())
    url = _urls(tone_exercise, tone_exercise.scenarios.first())["workspace"]
    assert client.get(url).status_code == 403
    assert not Workspace.objects.exists()


def test_a_scenario_of_another_exercise_is_not_found(client, make_exercise):
    tone, audit = make_exercise("tone"), make_exercise("audit")
    client.force_login(UserFactory())
    url = reverse("exercises:workspace", args=[tone.slug, audit.scenarios.first().slug])
    assert client.get(url).status_code == 404


def test_another_agents_submission_is_forbidden(client):
    submission = SubmissionFactory()
    client.force_login(UserFactory())
    url = reverse("exercises:submission-detail", args=[submission.pk])
    assert client.get(url).status_code == 403
    assert client.get(reverse("exercises:submission-detail", args=[999999])).status_code == 404


def test_trainers_see_submissions_of_their_cohorts_only(client):
    submission = SubmissionFactory()
    trainer, outsider = TrainerFactory(), TrainerFactory()
    MembershipFactory(cohort=CohortFactory(trainers=[trainer]), user=submission.user)
    url = reverse("exercises:submission-detail", args=[submission.pk])
    client.force_login(trainer)
    response = client.get(url)
    assert response.status_code == 200
    assert submission.user.email in response.content.decode()
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 200


def test_the_history_lists_only_my_submissions(client):
    mine = SubmissionFactory()
    theirs = SubmissionFactory(scenario=mine.scenario)
    client.force_login(mine.user)
    content = client.get(reverse("exercises:submission-list")).content.decode()
    assert reverse("exercises:submission-detail", args=[mine.pk]) in content
    assert reverse("exercises:submission-detail", args=[theirs.pk]) not in content
    assert 'href="/submissions/"' in content  # the nav link


def test_another_agents_draft_status_is_forbidden(client, tone_exercise):
    draft = DraftRequest.objects.create(
        workspace=Workspace.objects.create(
            user=UserFactory(), exercise=tone_exercise, scenario=tone_exercise.scenarios.first()
        ),
        prompt="p",
    )
    client.force_login(UserFactory())
    assert client.get(reverse("exercises:draft-status", args=[draft.pk])).status_code == 403


# ---- the workspace of every type ----------------------------------------------------------


EXPECTED_ON_PAGE = {
    "tone": ['name="identified_state"', 'name="indicators"', 'name="draft_tone_fits"'],
    "audit": ["data-audit-draft", 'name="checklist"', "feature-sso-saml", "Add finding"],
    "context": ["tkt-30817", 'name="relevant_history"', "Without context", "With your context"],
    "empathy": ['name="dimension"', 'name="draft_empathy_rating"'],
    "escalation": ['name="sentiment__severity"', 'name="plan__key_message"'],
    "rca": ['name="classification__key-storage"', 'name="report__customer_impact"'],
}


@pytest.mark.parametrize("exercise_type", list(SCENARIOS))
def test_the_workspace_of_every_type_shows_its_numbered_steps(setup, client, exercise_type):
    agent, exercise, scenario, urls = setup(exercise_type)
    response = client.get(urls["workspace"])
    assert response.status_code == 200
    content = response.content.decode()
    for expected in EXPECTED_ON_PAGE[exercise_type]:
        assert expected in content
    for step in exercise.steps:
        assert step["title"] in content
    assert 'class="step-number"' in content
    assert Workspace.objects.filter(user=agent, scenario=scenario).exists()


# ---- autosave -----------------------------------------------------------------------------


def test_autosave_returns_the_new_revision_and_a_reload_restores_everything(setup, client):
    _agent, _exercise, _scenario, urls = setup("tone")
    client.get(urls["workspace"])
    answer = valid_answer("tone") | {"prompt": "Be *kind* <b>now</b>"}
    response = client.post(urls["workspace-save"], _form("tone", answer), **JSON)
    assert response.status_code == 200
    assert response.json()["revision"] == 1
    content = client.get(urls["workspace"]).content.decode()
    assert "Be *kind* &lt;b&gt;now&lt;/b&gt;</textarea>" in content
    assert 'value="frustrated" checked' in content
    assert "CHARGED TWICE\n!!!</textarea>" in content


def test_a_stale_tab_gets_409_with_the_newer_state(setup, client):
    agent, _exercise, _scenario, urls = setup("tone")
    client.get(urls["workspace"])
    client.post(urls["workspace-save"], _form("tone", {"prompt": "from tab A"}), **JSON)
    response = client.post(urls["workspace-save"], _form("tone", {"prompt": "from tab B"}), **JSON)
    assert response.status_code == 409
    body = response.json()
    assert body["revision"] == 1
    assert body["answer"]["prompt"] == "from tab A"
    assert "another tab" in body["message"]
    assert Workspace.objects.get(user=agent).answer["prompt"] == "from tab A"


def test_without_javascript_a_stale_save_shows_the_notice_and_keeps_the_typing(setup, client):
    _agent, _exercise, _scenario, urls = setup("tone")
    client.get(urls["workspace"])
    client.post(urls["workspace-save"], _form("tone", {"prompt": "from tab A"}))
    response = client.post(urls["workspace-save"], _form("tone", {"prompt": "from tab B"}))
    assert response.status_code == 409
    content = response.content.decode()
    assert "from tab B</textarea>" in content
    assert "Save again to replace the newer version" in content
    assert 'name="revision" value="1"' in content


def test_without_javascript_audit_findings_are_added_and_removed(setup, client):
    agent, _exercise, _scenario, urls = setup("audit")
    client.get(urls["workspace"])
    data = _form(
        "audit",
        {"findings": [], "reply": "x", "checklist": []},
        action="add_finding",
        new_finding_span="$49 per seat per month",
        new_finding_type="wrong_price",
        new_finding_correction="It is $55.",
        new_finding_fact_id="plan-enterprise",
    )
    response = client.post(urls["workspace-save"], data)
    assert response.status_code == 302 and response["Location"].endswith("#step-findings")
    findings = Workspace.objects.get(user=agent).answer["findings"]
    assert findings[0]["span"] == "$49 per seat per month"
    data = _form("audit", {"findings": findings, "reply": "x"}, revision=1, remove_finding="0")
    client.post(urls["workspace-save"], data)
    assert Workspace.objects.get(user=agent).answer["findings"] == []


def test_without_javascript_findings_show_their_type_label_and_the_save_time_reads_well(
    setup, client
):
    _agent, _exercise, _scenario, urls = setup("audit")
    client.get(urls["workspace"])
    data = _form(
        "audit",
        {"findings": [], "reply": "x", "checklist": []},
        action="add_finding",
        new_finding_span="$49 per seat per month",
        new_finding_type="wrong_price",
        new_finding_correction="It is $55.",
        new_finding_fact_id="plan-enterprise",
    )
    client.post(urls["workspace-save"], data)
    content = client.get(urls["workspace"]).content.decode()
    assert '<span class="badge warn">Wrong price or contract term</span>' in content
    assert ">wrong_price<" not in content
    assert "0\xa0minutes" not in content and "0 minutes" not in content
    assert "data-saved-at=" in content


# ---- drafts without an LLM ----------------------------------------------------------------


def test_a_draft_without_an_llm_is_the_authored_one_and_the_page_says_so(
    setup, client, django_capture_on_commit_callbacks
):
    agent, _exercise, scenario, urls = setup("tone")
    client.get(urls["workspace"])
    data = _form("tone", {"prompt": "Reply about the charge.", "identified_state": "urgent"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(urls["draft-request"], data, **JSON)
    assert response.status_code == 200
    (pending,) = response.json()["drafts"]
    # The page polls the status endpoint (in the embedded default the task already ran).
    draft = client.get(pending["status_url"]).json()
    assert draft["status"] == "done"
    assert draft["text"] == scenario.data["drafts"]["generic"].strip()
    assert (
        "No language model is configured: this draft was written by the course authors"
        in draft["html"]
    )
    # What the agent typed was saved before the draft was asked for.
    assert Workspace.objects.get(user=agent).answer["identified_state"] == "urgent"
    page = client.get(urls["workspace"]).content.decode()
    assert "this draft was written by the course authors" in page
    assert "you got the generic draft" in page
    # The reply starts from the draft, ready to edit.
    assert "Great question!" in page.split('name="reply"')[1].split("</textarea>")[0]


def test_asking_for_a_draft_without_a_prompt_is_a_clear_400(setup, client):
    _agent, _exercise, _scenario, urls = setup("tone")
    client.get(urls["workspace"])
    response = client.post(urls["draft-request"], _form("tone", {"prompt": ""}), **JSON)
    assert response.status_code == 400
    assert "Write your prompt first" in response.json()["message"]
    # What was typed is saved all the same, and the client learns the new revision.
    assert response.json()["revision"] == 1


# ---- submitting ---------------------------------------------------------------------------


@pytest.mark.parametrize("exercise_type", list(SCENARIOS))
def test_every_type_submits_end_to_end(setup, client, exercise_type, answer_schema):
    agent, _exercise, _scenario, urls = setup(exercise_type)
    client.get(urls["workspace"])
    response = client.post(
        urls["workspace-submit"], _form(exercise_type, valid_answer(exercise_type))
    )
    submission = Submission.objects.get(user=agent)
    assert response.status_code == 302
    assert response["Location"] == reverse("exercises:submission-detail", args=[submission.pk])
    answer_schema(exercise_type, submission.answer)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'id="grading-feedback"' in page.content.decode()


def test_a_submit_with_errors_shows_them_next_to_the_fields_and_keeps_everything(setup, client):
    agent, _exercise, _scenario, urls = setup("escalation")
    client.get(urls["workspace"])
    answer = valid_answer("escalation")
    answer["sentiment"]["severity"] = ""
    answer["plan"]["key_message"] = ""
    response = client.post(urls["workspace-submit"], _form("escalation", answer))
    assert response.status_code == 400
    content = response.content.decode()
    assert 'id="sentiment__severity-errors"' in content
    assert "Rate the severity from 1 to 10." in content
    assert 'id="plan__key_message-errors"' in content
    assert "Confirm once the credit note is sent.</textarea>" in content
    assert not Submission.objects.exists()
    # ...and what was typed is saved for a reload.
    assert Workspace.objects.get(user=agent).answer["plan"]["avoid"] == "Blaming him."


def test_a_double_submit_through_the_form_makes_one_submission(setup, client):
    _agent, _exercise, _scenario, urls = setup("tone")
    client.get(urls["workspace"])
    data = _form("tone", valid_answer("tone"), token=uuid.uuid4())
    first = client.post(urls["workspace-submit"], data)
    second = client.post(urls["workspace-submit"], data)
    assert first["Location"] == second["Location"]
    assert Submission.objects.count() == 1


def test_a_page_reopened_after_submitting_keeps_its_edits_instead_of_dropping_them(setup, client):
    _agent, _exercise, _scenario, urls = setup("tone")
    client.get(urls["workspace"])
    token = uuid.uuid4()
    client.post(urls["workspace-submit"], _form("tone", valid_answer("tone"), token=token))
    # Back to the submitted page, edit the reply, submit the same form again.
    edited = valid_answer("tone") | {"reply": valid_answer("tone")["reply"] + " Edited after."}
    response = client.post(urls["workspace-submit"], _form("tone", edited, token=token))
    assert response.status_code == 409
    content = response.content.decode()
    assert "already submitted as attempt 1" in content
    assert "Edited after.</textarea>" in content
    assert str(token) not in content  # a fresh token: submitting again makes attempt 2
    assert Submission.objects.count() == 1


def test_the_workspace_is_not_cached_so_back_reloads_a_fresh_form(setup, client):
    _agent, _exercise, _scenario, urls = setup("tone")
    response = client.get(urls["workspace"])
    assert "no-store" in response["Cache-Control"]


def test_an_answer_too_long_to_save_is_shown_again_to_shorten_not_dropped(setup, client):
    _agent, _exercise, _scenario, urls = setup("tone")
    client.get(urls["workspace"])
    pasted = "A whole log pasted by mistake. " * 8000
    data = _form("tone", valid_answer("tone") | {"prompt": pasted})
    for url in (urls["workspace-submit"], urls["workspace-save"]):
        response = client.post(url, data)
        assert response.status_code == 400
        content = response.content.decode()
        assert "This answer is too long to save" in content
        assert pasted.strip() in content  # still in the prompt's textarea
    saved = client.post(urls["workspace-save"], data, **JSON)
    assert saved.status_code == 400 and saved.json()["error"] == "invalid"
    assert not Submission.objects.exists()


def test_past_the_attempt_limit_the_agent_is_told(setup, client):
    _agent, _exercise, _scenario, urls = setup("tone", settings={"max_submissions": 1})
    client.get(urls["workspace"])
    client.post(urls["workspace-submit"], _form("tone", valid_answer("tone")))
    response = client.post(
        urls["workspace-submit"], _form("tone", valid_answer("tone")), follow=True
    )
    assert "You have used all 1 attempts" in response.content.decode()
    assert Submission.objects.count() == 1


def test_the_submission_page_renders_markdown_safely_and_shows_the_diff(
    setup, client, django_capture_on_commit_callbacks
):
    _agent, _exercise, _scenario, urls = setup("tone")
    client.get(urls["workspace"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(urls["draft-request"], _form("tone", {"prompt": "Be empathetic."}), **JSON)
    draft = DraftRequest.objects.get()
    reply = (
        draft.text.replace("Let me explain", "**Let me explain**")
        + "\n<script>alert(1)</script> I have also set a reminder to check your next bill "
        "with you on the 1st."
    )
    answer = valid_answer("tone") | {"reply": reply}
    response = client.post(
        urls["workspace-submit"],
        _form("tone", answer, revision=1, draft_used=str(draft.pk)),
        follow=True,
    )
    content = response.content.decode()
    assert "<strong>Let me explain</strong>" in content
    assert "<script>alert(1)</script>" not in content
    assert "<ins>" in content and "&lt;script&gt;" in content
    submission = Submission.objects.get()
    assert submission.edit_class == "light"
    assert submission.get_edit_class_display() in content


# ---- the agent home -----------------------------------------------------------------------


def test_the_agent_home_shows_progress_and_what_to_do_next(client, make_exercise):
    exercise = make_exercise("tone")
    first, second = exercise.scenario_links.order_by("order")
    agent = UserFactory()
    SubmissionFactory(user=agent, exercise=exercise, scenario=first.scenario)
    client.force_login(agent)
    content = client.get(reverse("agent-home")).content.decode()
    assert "What to do next" in content
    next_url = reverse("exercises:workspace", args=[exercise.slug, second.scenario.slug])
    assert f'href="{next_url}" data-next-step' in content or next_url in content
    assert "1 / 2 submitted" in content
    assert 'max="100" value="50"' in content  # a <progress> bar at 50%


def test_the_agent_home_still_names_the_cohort(client, member, cohort):
    client.force_login(member)
    assert cohort.name in client.get(reverse("agent-home")).content.decode()


def test_services_are_reachable_for_time_checks():
    assert services.MAX_DRAFTS_PER_WORKSPACE > 0


# ---- readable pages ---------------------------------------------------------------------


def test_the_audit_help_names_error_types_in_words_not_keys(setup, client):
    from exercises.layout import _readable

    assert _readable("Type: invented_feature or wrong_price.") == (
        "Type: invented feature or wrong price or contract term."
    )
    _agent, _exercise, _scenario, urls = setup(
        "audit",
        steps=[{"id": "audit-draft", "title": "Record", "help": "Type: fake_troubleshooting."}],
    )
    content = client.get(urls["workspace"]).content.decode()
    assert "Type: fake troubleshooting step." in content
    assert "Type: fake_troubleshooting" not in content


def test_the_final_reply_keeps_single_line_breaks_and_hides_versions_from_the_author(setup, client):
    _agent, _exercise, _scenario, urls = setup("tone")
    client.get(urls["workspace"])
    answer = valid_answer("tone") | {"reply": "Hi Sam,\nthanks.\nBest,\nAlex"}
    response = client.post(urls["workspace-submit"], _form("tone", answer), follow=True)
    content = response.content.decode()
    assert "Hi Sam,<br>\nthanks.<br>\nBest,<br>\nAlex" in content
    assert "scenario version" not in content


def test_a_stale_tab_submitting_gets_the_page_back_and_no_attempt_is_spent(setup, client):
    _agent, _exercise, _scenario, urls = setup("tone")
    client.get(urls["workspace"])
    client.post(urls["workspace-save"], _form("tone", {"prompt": "from tab A"}), **JSON)
    stale = valid_answer("tone") | {"reply": "Typed in the old tab."}
    response = client.post(urls["workspace-submit"], _form("tone", stale, revision=0))
    assert response.status_code == 409
    content = response.content.decode()
    assert "Not submitted" in content and "No attempt was used" in content
    assert "Typed in the old tab.</textarea>" in content
    assert 'name="revision" value="1"' in content  # submitting again is a deliberate choice
    assert not Submission.objects.exists()
    again = client.post(urls["workspace-submit"], _form("tone", stale, revision=1))
    assert again.status_code == 302
    assert Submission.objects.get().attempt == 1


def _add_finding(client, urls, span, **fields):
    data = _form("audit", {"findings": [], "reply": "Hi", "checklist": []}) | {
        "action": "add_finding",
        "new_finding_span": span,
        "new_finding_type": "invented_feature",
        "new_finding_correction": "SSO is Enterprise only.",
        "new_finding_fact_id": "feature-sso-saml",
    }
    data.update(fields)
    return client.post(urls["workspace-save"], data, follow=True)


def test_without_javascript_a_typed_passage_is_found_in_the_draft_fuzzily(setup, client):
    agent, _exercise, scenario, urls = setup("audit")
    client.get(urls["workspace"])
    response = _add_finding(client, urls, "on your growth plan you can set it up yorself")
    (finding,) = Workspace.objects.get(user=agent).answer["findings"]
    wanted = "On your Growth plan you can set it up yourself"
    assert finding["span"] == wanted
    assert scenario.data["draft"][finding["start"] : finding["end"]] == wanted
    assert f"<q>{wanted}</q>" in response.content.decode()


def test_without_javascript_a_repeated_finding_is_not_added_and_says_why(setup, client):
    agent, _exercise, _scenario, urls = setup("audit")
    client.get(urls["workspace"])
    span = "On your Growth plan you can set it up yourself"
    _add_finding(client, urls, span)
    findings = Workspace.objects.get(user=agent).answer["findings"]
    data = {"findings": json.dumps(findings), "revision": "1"}
    response = _add_finding(client, urls, span.lower(), **data)
    assert len(Workspace.objects.get(user=agent).answer["findings"]) == 1
    assert "already finding 1 with the same type" in response.content.decode()


def test_the_keyboard_passage_finder_matches_the_draft_and_says_what(setup, client):
    _agent, exercise, scenario, _urls = setup("audit")
    url = reverse("exercises:passage-find", args=[exercise.slug, scenario.slug])
    found = client.post(url, {"text": "growth plan you can set it up"}).json()
    assert found["found"] and found["exact"]
    assert scenario.data["draft"][found["start"] : found["end"]] == found["text"]
    assert found["message"] == "Matched in the draft: “Growth plan you can set it up”."
    fuzzy = client.post(url, {"text": "Grwoth plan yu can set it up yourslf"}).json()
    assert fuzzy["text"] == "Growth plan you can set it up yourself"
    assert "Not word for word" in fuzzy["message"]
    assert client.post(url, {"text": "zebra crossing"}).json()["found"] is False
    assert "Type a few words" in client.post(url, {"text": " "}).json()["message"]
    assert client.get(url).status_code == 405
