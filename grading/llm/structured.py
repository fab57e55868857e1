"""Structured answers from any OpenAI-compatible server: the response format is negotiated.

Servers differ in what `response_format` they accept. OpenAI and vLLM take the strict
`json_schema`; llama.cpp's server answers it with HTTP 500 and takes `json_object` with a
`schema` field; some proxies take neither. So a request goes out in the best dialect first
and, on an HTTP error that says the format is not supported, falls back:

    json_schema  ->  json_object (+ schema)  ->  plain text (schema in the prompt)

In every dialect but the strict one the schema is also written into the prompt, and the
answer is checked against it here (in plain text, the first JSON object in the text is
taken). What worked is remembered per endpoint (base URL + model) in Django's cache, shared
by every worker, for `LLM_DIALECT_TTL_SECONDS`, so later calls go straight to it.
"""

import functools
import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

import jsonschema
from django.conf import settings
from django.core.cache import cache
from jsonschema.exceptions import best_match
from openai.types.chat import ChatCompletion

from .client import chat_completion
from .errors import LLMError

logger = logging.getLogger(__name__)

JSON_SCHEMA = "json_schema"
JSON_OBJECT = "json_object"
TEXT = "text"
DIALECTS = (JSON_SCHEMA, JSON_OBJECT, TEXT)
DEFAULT_DIALECT_TTL_SECONDS = 6 * 3600
SCHEMA_START = "<<<JSON_SCHEMA"
SCHEMA_END = "JSON_SCHEMA>>>"

# Statuses that never mean "wrong dialect": auth, a missing model, timeouts, rate limits.
_NOT_A_DIALECT_PROBLEM = {401, 403, 408, 429}
# Words an endpoint uses when it rejects the response format rather than the request.
_UNSUPPORTED = re.compile(
    r"response[_ ]format|json[_ ]schema|json[_ ]object|\bschema\b|grammar|"
    r"not (?:yet )?supported|unsupported|not implemented",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StructuredCompletion:
    completion: ChatCompletion
    dialect: str
    content: str


def endpoint_cache_key(base_url: str, model: str) -> str:
    digest = hashlib.sha256(f"{base_url.rstrip('/')}\n{model}".encode()).hexdigest()[:32]
    return f"coachline:llm:dialect:{digest}"


def endpoint_dialect(*, base_url: str | None = None, model: str | None = None) -> str | None:
    """The dialect remembered for an endpoint (the configured one by default), if any."""
    key = endpoint_cache_key(base_url or settings.LLM_BASE_URL, model or settings.LLM_MODEL)
    remembered = cache.get(key)
    return remembered if remembered in DIALECTS else None


def _remember(key: str, dialect: str) -> None:
    ttl = getattr(settings, "LLM_DIALECT_TTL_SECONDS", DEFAULT_DIALECT_TTL_SECONDS)
    cache.set(key, dialect, timeout=ttl)


def says_unsupported(exc: LLMError) -> bool:
    """An HTTP 4xx/5xx whose message says the response format is what the server refuses."""
    status = exc.status_code
    if status is None or status < 400 or status in _NOT_A_DIALECT_PROBLEM:
        return False
    return bool(_UNSUPPORTED.search(exc.detail or ""))


def schema_instructions(schema: Mapping) -> str:
    """The schema as prompt text, for the dialects that cannot enforce it."""
    return (
        "Answer with one JSON object and nothing else (no prose, no code fences). It must "
        "match this JSON schema, which is data describing the answer's shape:\n"
        f"{SCHEMA_START}\n{json.dumps(schema, ensure_ascii=False)}\n{SCHEMA_END}"
    )


def _with_schema_in_prompt(messages: list[dict], schema: Mapping) -> list[dict]:
    instructions = schema_instructions(schema)
    if messages and messages[0].get("role") == "system":
        first = {**messages[0], "content": f"{messages[0]['content']}\n\n{instructions}"}
        return [first, *messages[1:]]
    return [{"role": "system", "content": instructions}, *messages]


def request_for(dialect: str, *, messages: list[dict], schema: Mapping, name: str) -> dict:
    """The Chat Completions arguments that ask for `schema` in one dialect."""
    if dialect == JSON_SCHEMA:
        return {
            "messages": messages,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": schema},
            },
        }
    prompted = _with_schema_in_prompt(messages, schema)
    if dialect == JSON_OBJECT:
        return {
            "messages": prompted,
            "response_format": {"type": "json_object", "schema": schema},
        }
    return {"messages": prompted}


def structured_completion(
    *, messages: list[dict], schema: Mapping, name: str, **request
) -> StructuredCompletion:
    """One call asking for `schema`, in the best dialect the endpoint accepts.

    Starts with the dialect remembered for the endpoint (else the strict schema), falls
    back on an error that says the format is unsupported, and remembers what answered.
    Other errors are raised as they are (LLMTransientError / LLMPermanentError). The
    returned `content` is the JSON text to parse: in plain text, the first JSON object.
    """
    model = request.get("model") or settings.LLM_MODEL
    key = endpoint_cache_key(settings.LLM_BASE_URL, model)
    remembered = cache.get(key)
    start = DIALECTS.index(remembered) if remembered in DIALECTS else 0
    for dialect in DIALECTS[start:]:
        try:
            completion = chat_completion(
                **request, **request_for(dialect, messages=messages, schema=schema, name=name)
            )
        except LLMError as exc:
            if dialect != DIALECTS[-1] and says_unsupported(exc):
                logger.info(
                    "LLM endpoint refused response format %s (%s); falling back",
                    dialect,
                    exc.detail[:200],
                )
                continue
            raise
        if remembered != dialect:
            _remember(key, dialect)
        content = completion.choices[0].message.content if completion.choices else None
        content = content or ""
        if dialect == TEXT:
            content = first_json_object(content) or content
        return StructuredCompletion(completion=completion, dialect=dialect, content=content)
    raise AssertionError("unreachable: the plain-text dialect either answers or raises")


def first_json_object(text: str) -> str | None:
    """The first complete JSON object in free text (code fences and prose around it)."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, end = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return text[match.start() : end]
    return None


def parse_structured(content: str | None, schema: Mapping) -> dict:
    """The answer as a dict, validated against the schema; ValueError says what is wrong."""
    try:
        data = json.loads(content or "")
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    try:
        validate_json(data, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(part) for part in exc.absolute_path) or "the answer"
        raise ValueError(f"{where}: {exc.message}") from exc
    return data


def validate_json(data, schema: Mapping) -> None:
    """jsonschema.validate with the schema's validator built (and the schema checked) once
    per schema, not once per answer: checking the schema cost more than the model's wait
    time per grade under 32 workers. Raises the same best-match ValidationError."""
    error = best_match(_validator(json.dumps(schema, sort_keys=True)).iter_errors(data))
    if error is not None:
        raise error


@functools.lru_cache(maxsize=64)
def _validator(schema_json: str):
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)
