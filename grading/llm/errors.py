"""Errors of the LLM layer, split by what the caller should do about them."""

import email.utils
from datetime import UTC, datetime

import openai


class LLMError(Exception):
    """Base of everything the LLM layer raises.

    `status_code` and `detail` keep the endpoint's HTTP status and error message (when it
    answered with one), so the response-format negotiation can tell "this server does not
    speak that dialect" from an ordinary failure.
    """

    def __init__(
        self,
        message: str = "",
        *,
        status_code: int | None = None,
        detail: str = "",
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.status_code = status_code
        self.detail = detail
        # Seconds the endpoint asked us to wait (its Retry-After header), if it said.
        self.retry_after = retry_after


class LLMTransientError(LLMError):
    """Timeouts, rate limits, server errors, lost connections: worth retrying later."""


class LLMPermanentError(LLMError):
    """Bad output after the allowed re-asks, or a request the endpoint will never accept."""


class LLMUnsupportedQuoteError(LLMPermanentError):
    """The model justified a score with a quote that is not in the agent's answer: the whole
    LLM grade is void (the offline grade stands) and a trainer is asked to look."""


def _detail(exc: "openai.APIStatusError") -> str:
    """The error message the endpoint sent, whatever shape its error body has."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return str(inner.get("message") or inner.get("detail") or inner)
        return str(inner)
    if body is not None:
        return str(body)
    try:
        return exc.response.text[:2000]
    except Exception:  # a streamed or closed response has no text to give
        return ""


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A Retry-After header as seconds from now: delta-seconds ("120") or an HTTP date
    ("Wed, 21 Oct 2026 07:28:00 GMT"); None when absent or unreadable, 0 for a past date."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _retry_after(exc: "openai.APIStatusError") -> float | None:
    try:
        return retry_after_seconds(exc.response.headers.get("retry-after"))
    except AttributeError:
        return None


def classify_openai_error(exc: Exception) -> LLMError:
    """Map an `openai` exception (or an unreadable answer) to transient or permanent."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMTransientError(f"the model endpoint did not answer in time: {exc}")
    if isinstance(exc, openai.APIConnectionError):
        return LLMTransientError(f"the model endpoint could not be reached: {exc}")
    if isinstance(exc, openai.RateLimitError):
        return LLMTransientError(
            "the model endpoint is rate limiting us (HTTP 429)",
            status_code=429,
            retry_after=_retry_after(exc),
        )
    if isinstance(exc, openai.APIStatusError):
        status, detail = exc.status_code, _detail(exc)
        said = f": {' '.join(detail.split())[:300]}" if detail else ""
        if status >= 500:
            return LLMTransientError(
                f"the model endpoint failed (HTTP {status}){said}",
                status_code=status,
                detail=detail,
                retry_after=_retry_after(exc),
            )
        return LLMPermanentError(
            f"the model endpoint refused the request (HTTP {status}){said}",
            status_code=status,
            detail=detail,
        )
    if isinstance(exc, ValueError):  # a 200 whose body is not JSON: not a Chat Completions API
        return LLMPermanentError("the model endpoint's answer is not a chat completion")
    return LLMPermanentError(f"unexpected error from the model endpoint: {exc}")
