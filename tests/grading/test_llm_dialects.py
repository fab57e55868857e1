"""Response-format negotiation with servers of each dialect, through the real openai client."""

import time

import pytest
from django.core.cache import cache

from exercises.models import Scenario
from grading import services
from grading.llm.drafts import generate_draft
from grading.llm.errors import LLMError, LLMPermanentError, LLMTransientError
from grading.llm.fake_server import FakeChatServer
from grading.llm.structured import (
    SCHEMA_START,
    endpoint_cache_key,
    endpoint_dialect,
    first_json_object,
    says_unsupported,
)
from grading.models import Rubric
from tests.factories import TONE_ANSWER, SubmissionFactory
from tests.grading.submissions import llm_scores

# The response_format types a client sends until the server answers, per server dialect.
NEGOTIATION = {
    "strict": (["json_schema"], "json_schema"),
    "json_object": (["json_schema", "json_object"], "json_object"),
    "text": (["json_schema", "json_object", None], "text"),
}


@pytest.fixture
def llm_server(settings):
    """Start a fake Chat Completions server of a given dialect, with settings pointing at it."""
    servers = []

    def start(dialect: str) -> FakeChatServer:
        server = FakeChatServer(dialect=dialect).start()
        servers.append(server)
        settings.LLM_BASE_URL = server.base_url
        settings.LLM_MODEL = f"fake-{dialect}"
        settings.LLM_API_KEY = "test-key"
        settings.LLM_TIMEOUT_SECONDS = 2
        cache.delete(endpoint_cache_key(server.base_url, settings.LLM_MODEL))
        return server

    yield start
    for server in servers:
        server.stop()


def formats(server: FakeChatServer) -> list:
    return [(r["body"].get("response_format") or {}).get("type") for r in server.requests]


@pytest.fixture
def rubric(loaded_content):
    return Rubric.objects.get(slug="tone-calibration").current_version


@pytest.mark.django_db
@pytest.mark.parametrize("dialect", list(NEGOTIATION))
def test_each_dialect_is_negotiated_once_then_remembered(llm_server, agent, rubric, dialect):
    server = llm_server(dialect)
    server.default = llm_scores(rubric.snapshot)
    first = services.grade_llm(
        submission=SubmissionFactory(user=agent, shipped_tone=True), rubric_version=rubric
    )
    sent, works = NEGOTIATION[dialect]
    assert first.grader == "llm"
    assert formats(server) == sent
    assert endpoint_dialect() == works

    server.requests.clear()
    other = {**TONE_ANSWER, "identified_state": "urgent"}  # not answered from the cache
    services.grade_llm(
        submission=SubmissionFactory(user=agent, shipped_tone=True, answer=other),
        rubric_version=rubric,
    )
    assert formats(server) == [sent[-1]]  # straight to the dialect that works


@pytest.mark.django_db
def test_json_mode_sends_the_schema_in_the_format_and_the_prompt(llm_server, agent, rubric):
    server = llm_server("json_object")
    server.default = llm_scores(rubric.snapshot)
    services.grade_llm(
        submission=SubmissionFactory(user=agent, shipped_tone=True), rubric_version=rubric
    )
    body = server.requests[-1]["body"]
    schema = body["response_format"]["schema"]
    assert set(schema["properties"]["criteria"]["required"]) == {
        c["id"] for c in rubric.snapshot["criteria"]
    }
    assert SCHEMA_START in body["messages"][0]["content"]


@pytest.mark.django_db
def test_plain_text_answers_are_read_out_of_prose_and_checked(llm_server, agent, rubric):
    server = llm_server("text")
    cache.set(endpoint_cache_key(server.base_url, "fake-text"), "text")
    server.respond("I would give this reply good marks overall.")  # no JSON at all
    off_schema = llm_scores(rubric.snapshot)
    off_schema["criteria"]["empathy"]["extra"] = "not in the schema"
    server.respond(off_schema)
    server.default = llm_scores(rubric.snapshot)
    result = services.grade_llm(
        submission=SubmissionFactory(user=agent, shipped_tone=True), rubric_version=rubric
    )
    assert result.grader == "llm"
    assert formats(server) == [None, None, None]
    assert "not JSON" in server.requests[1]["body"]["messages"][-1]["content"]
    assert "Additional properties" in server.requests[2]["body"]["messages"][-1]["content"]
    assert SCHEMA_START in server.requests[0]["body"]["messages"][0]["content"]


@pytest.mark.django_db
def test_a_remembered_dialect_that_stops_working_falls_back_further(llm_server, agent, rubric):
    server = llm_server("text")
    cache.set(endpoint_cache_key(server.base_url, "fake-text"), "json_object")
    server.default = llm_scores(rubric.snapshot)
    services.grade_llm(
        submission=SubmissionFactory(user=agent, shipped_tone=True), rubric_version=rubric
    )
    assert formats(server) == ["json_object", None]
    assert endpoint_dialect() == "text"


@pytest.mark.django_db
def test_a_server_error_that_is_not_about_the_format_is_not_a_fallback(llm_server, agent, rubric):
    server = llm_server("strict")
    server.respond(status=500)  # "fake failure": says nothing about response_format
    with pytest.raises(LLMTransientError, match="HTTP 500"):
        services.grade_llm(
            submission=SubmissionFactory(user=agent, shipped_tone=True), rubric_version=rubric
        )
    assert len(server.requests) == 1
    assert endpoint_dialect() is None


@pytest.mark.django_db
def test_what_an_endpoint_supports_is_forgotten_after_the_ttl(llm_server, agent, rubric, settings):
    settings.LLM_DIALECT_TTL_SECONDS = 1
    server = llm_server("json_object")
    server.default = llm_scores(rubric.snapshot)
    services.grade_llm(
        submission=SubmissionFactory(user=agent, shipped_tone=True), rubric_version=rubric
    )
    assert endpoint_dialect() == "json_object"
    time.sleep(1.2)
    assert endpoint_dialect() is None


def test_the_endpoint_is_remembered_per_base_url_and_model():
    key = endpoint_cache_key("http://a.example/v1/", "m1")
    assert key == endpoint_cache_key("http://a.example/v1", "m1")
    assert key != endpoint_cache_key("http://a.example/v1", "m2")
    assert key != endpoint_cache_key("http://b.example/v1", "m1")


@pytest.mark.parametrize(
    ("status", "detail", "fallback"),
    [
        (500, "Input should be 'text' or 'json_object' (body.response_format.type)", True),
        (400, "response_format is not supported by this server", True),
        (422, "Unsupported value: 'json_schema'", True),
        (500, "CUDA out of memory", False),
        (400, "fake failure", False),
        (401, "invalid api key for response_format", False),
        (429, "rate limited", False),
    ],
)
def test_only_errors_about_the_format_mean_another_dialect(status, detail, fallback):
    error = LLMError("x", status_code=status, detail=detail)
    assert says_unsupported(error) is fallback


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('{"a": 1}', '{"a": 1}'),
        ('Here you go:\n```json\n{"a": {"b": "}"}}\n```\nBye', '{"a": {"b": "}"}}'),
        ('Scores {not json} then {"a": [1, 2]} and {"b": 2}', '{"a": [1, 2]}'),
        ("no object at all [1, 2]", None),
    ],
)
def test_the_first_json_object_is_found_in_free_text(text, found):
    assert first_json_object(text) == found


@pytest.mark.django_db
@pytest.mark.parametrize("dialect", list(NEGOTIATION))
def test_drafts_ask_for_plain_text_from_every_server(llm_server, loaded_content, dialect):
    server = llm_server(dialect)
    scenario = Scenario.objects.get(slug="tone-charged-twice-caps").data
    draft = generate_draft(
        scenario_data=scenario, prompt="Write a calm reply.", variant="generic", facts=[]
    )
    assert draft.text
    assert formats(server) == [None]


def test_the_fake_server_takes_its_dialect_from_the_environment(monkeypatch):
    monkeypatch.setenv("COACHLINE_FAKE_LLM_DIALECT", "json_object")
    assert FakeChatServer().dialect == "json_object"
    monkeypatch.setenv("COACHLINE_FAKE_LLM_DIALECT", "klingon")
    with pytest.raises(ValueError, match="unknown dialect"):
        FakeChatServer()


@pytest.mark.django_db
def test_a_permanent_refusal_in_the_last_dialect_is_raised(llm_server, agent, rubric):
    server = llm_server("strict")
    cache.set(endpoint_cache_key(server.base_url, "fake-strict"), "text")
    server.respond(status=400)
    with pytest.raises(LLMPermanentError, match="HTTP 400"):
        services.grade_llm(
            submission=SubmissionFactory(user=agent, shipped_tone=True), rubric_version=rubric
        )
