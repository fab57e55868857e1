"""Errors of the LLM layer, split by what the caller should do about them."""

import openai


class LLMError(Exception):
    """Base of everything the LLM layer raises."""


class LLMTransientError(LLMError):
    """Timeouts, rate limits, server errors, lost connections: worth retrying later."""


class LLMPermanentError(LLMError):
    """Bad output after the allowed re-asks, or a request the endpoint will never accept."""


def classify_openai_error(exc: Exception) -> LLMError:
    """Map an `openai` exception to transient (retry) or permanent (give up)."""
    if isinstance(exc, openai.APITimeoutError | openai.APIConnectionError):
        return LLMTransientError(f"the model endpoint did not answer in time: {exc}")
    if isinstance(exc, openai.RateLimitError):
        return LLMTransientError("the model endpoint is rate limiting us (HTTP 429)")
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500:
            return LLMTransientError(f"the model endpoint failed (HTTP {exc.status_code})")
        return LLMPermanentError(f"the model endpoint refused the request (HTTP {exc.status_code})")
    return LLMPermanentError(f"unexpected error from the model endpoint: {exc}")
