"""Errors of the LLM layer, split by what the caller should do about them."""

import openai


class LLMError(Exception):
    """Base of everything the LLM layer raises."""


class LLMTransientError(LLMError):
    """Timeouts, rate limits, server errors, lost connections: worth retrying later."""


class LLMPermanentError(LLMError):
    """Bad output after the allowed re-asks, or a request the endpoint will never accept."""


def classify_openai_error(exc: Exception) -> LLMError:
    """Map an `openai` exception (or an unreadable answer) to transient or permanent."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMTransientError(f"the model endpoint did not answer in time: {exc}")
    if isinstance(exc, openai.APIConnectionError):
        return LLMTransientError(f"the model endpoint could not be reached: {exc}")
    if isinstance(exc, openai.RateLimitError):
        return LLMTransientError("the model endpoint is rate limiting us (HTTP 429)")
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500:
            return LLMTransientError(f"the model endpoint failed (HTTP {exc.status_code})")
        return LLMPermanentError(f"the model endpoint refused the request (HTTP {exc.status_code})")
    if isinstance(exc, ValueError):  # a 200 whose body is not JSON: not a Chat Completions API
        return LLMPermanentError("the model endpoint's answer is not a chat completion")
    return LLMPermanentError(f"unexpected error from the model endpoint: {exc}")
