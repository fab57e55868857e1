"""The OpenAI-compatible client, built from settings at call time.

Retries belong to Celery (with backoff and jitter), so the SDK's own are switched off.
"""

import functools

import openai
from django.conf import settings
from openai.types.chat import ChatCompletion

from .errors import LLMPermanentError, classify_openai_error


def llm_client(*, timeout: float | None = None) -> openai.OpenAI:
    """A client for the current settings, reused so its HTTP connections are pooled."""
    return _client_for(
        settings.LLM_BASE_URL,
        settings.LLM_API_KEY or "not-needed",
        timeout if timeout is not None else settings.LLM_TIMEOUT_SECONDS,
    )


@functools.lru_cache(maxsize=8)
def _client_for(base_url: str, api_key: str, timeout: float) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)


def chat_completion(**request) -> ChatCompletion:
    """One Chat Completions call; every failure is raised as LLMTransientError or
    LLMPermanentError, so callers never see a raw SDK or decoding error."""
    try:
        completion = llm_client().chat.completions.create(**request)
    except (openai.OpenAIError, ValueError) as exc:  # ValueError: a body that is not JSON
        raise classify_openai_error(exc) from exc
    if not isinstance(completion, ChatCompletion):
        # The SDK hands back the raw text when the Content-Type is not JSON (a proxy's page).
        raise LLMPermanentError("the model endpoint's answer is not a chat completion")
    return completion
