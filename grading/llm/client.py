"""The OpenAI-compatible client, built from settings at call time.

Retries belong to Celery (with backoff and jitter), so the SDK's own are switched off.
"""

import openai
from django.conf import settings


def llm_configured() -> bool:
    return bool(settings.LLM_BASE_URL and settings.LLM_MODEL)


def llm_client(*, timeout: float | None = None) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=settings.LLM_BASE_URL,
        api_key=settings.LLM_API_KEY or "not-needed",
        timeout=timeout if timeout is not None else settings.LLM_TIMEOUT_SECONDS,
        max_retries=0,
    )
