"""The AI-draft generator (grading.llm.drafts) against a local Chat Completions server."""

import socket
import subprocess
import sys

import openai
import pytest

from exercises.errors import DraftGenerationError
from grading.llm.drafts import build_messages, generate_draft
from grading.llm.fake_server import DRAFT_REPLY

CONTEXT_SCENARIO = {
    "customer": {"name": "Amara Nwosu", "plan": "Growth"},
    "message": "Just tell me how to get the account working again.",
    "profile": {
        "plan": "Growth",
        "past_tickets": [
            {"id": "tkt-1", "subject": "Card expiring soon", "relevant": True},
            {"id": "tkt-2", "subject": "Late fees", "relevant": False},
        ],
    },
}


def draft(**overrides):
    arguments = {"scenario_data": CONTEXT_SCENARIO, "prompt": "Reply.", "variant": "default"}
    return generate_draft(**{**arguments, "facts": [], **overrides})


def test_the_profile_sent_to_the_model_leaves_out_the_answer_key():
    system = build_messages(
        scenario_data=CONTEXT_SCENARIO, prompt="Reply.", variant="default", facts=[]
    )[0]["content"]
    assert "Card expiring soon" in system and "tkt-2" in system  # the history is there...
    assert "relevant" not in system  # ...but not which tickets the exercise counts as relevant
    assert CONTEXT_SCENARIO["profile"]["past_tickets"][0]["relevant"] is True  # not mutated


@pytest.mark.parametrize("raw", ["<html>502 Bad Gateway</html>", '"a bare string"'])
def test_an_answer_that_is_not_a_chat_completion_fails_with_a_readable_error(fake_llm, raw):
    fake_llm.respond(raw=raw)
    with pytest.raises(DraftGenerationError, match="not a chat completion") as error:
        draft()
    assert not error.value.transient


def test_an_endpoint_that_is_down_is_transient_and_says_so(fake_llm):
    fake_llm.stop()
    with pytest.raises(DraftGenerationError, match="could not be reached") as error:
        draft()
    assert error.value.transient


def test_the_fake_server_answers_a_draft_request_with_plain_text(fake_llm):
    assert draft().text == DRAFT_REPLY


@pytest.fixture
def unused_tcp_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_fake_server_runs_as_its_own_process(unused_tcp_port):
    process = subprocess.Popen(
        [sys.executable, "-m", "grading.llm.fake_server", "--port", str(unused_tcp_port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert str(unused_tcp_port) in process.stdout.readline()
        client = openai.OpenAI(
            base_url=f"http://127.0.0.1:{unused_tcp_port}/v1", api_key="x", max_retries=0
        )
        completion = client.chat.completions.create(
            model="fake", messages=[{"role": "user", "content": "Hi"}]
        )
        assert completion.choices[0].message.content == DRAFT_REPLY
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_the_context_variants_leave_the_ticket_history_to_the_agents_prompt():
    def system(variant):
        return build_messages(
            scenario_data=CONTEXT_SCENARIO, prompt="Reply.", variant=variant, facts=[]
        )[0]["content"]

    with_context, without_context = system("with_context"), system("without_context")
    assert "tkt-1" not in with_context and "Card expiring soon" not in with_context
    assert "Customer profile (CRM)" in with_context
    assert "Customer profile (CRM)" not in without_context
