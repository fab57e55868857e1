"""A local HTTP server speaking the Chat Completions protocol, for tests and benchmarks.

The real `openai` client talks to it over HTTP, so the whole client path is exercised.
Queue behaviours with `server.respond(...)`; with none queued it answers with `default`,
or, when `default` is None, with a valid answer derived from the request's JSON schema
(every criterion at its lowest level), or a short plain-text reply when the request asks
for no schema (an AI draft). `delay` adds a fixed latency to every answer.

`dialect` makes it speak like a given kind of server about `response_format`:
  strict       accepts json_schema, json_object and plain text (OpenAI, vLLM);
  json_object  answers json_schema with HTTP 500, as llama.cpp's server does, and accepts
               json_object (with a `schema` field) and plain text;
  text         refuses any response_format with HTTP 400 and answers in prose, the JSON
               in a code fence, the schema read from the prompt.
The default comes from COACHLINE_FAKE_LLM_DIALECT (else strict).

`outage(seconds, status=429, retry_after=...)` makes it fail every request for a while
(HTTP 429 or 5xx, with a Retry-After header when given), then answer normally again; a
running server takes the same order over HTTP: POST /control/outage with
{"seconds": 60, "status": 429, "retry_after": "5"}. `answered` counts successful answers.

Run on its own for a local stack (LLM_BASE_URL=http://127.0.0.1:8199/v1):
    python -m grading.llm.fake_server --port 8199 [--delay 0.5] [--dialect json_object]
        [--outage-seconds 1800 --outage-status 429 --retry-after 30]
"""

import argparse
import contextlib
import json
import os
import re
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIALECTS = ("strict", "json_object", "text")
# What llama-cpp-python's server says, with HTTP 500, to a json_schema response_format.
JSON_SCHEMA_REFUSAL = (
    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', "
    "'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}"
)
RESPONSE_FORMAT_REFUSAL = "response_format is not supported by this server"


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: 32 graders connecting at once overflow it
    # and wait for SYN retries, which throttles the benchmark, not the graders.
    request_queue_size = 256
    daemon_threads = True


class FakeChatServer:
    def __init__(
        self,
        *,
        delay: float = 0.0,
        port: int = 0,
        dialect: str | None = None,
        keep_alive: bool = False,
    ):
        dialect = dialect or os.environ.get("COACHLINE_FAKE_LLM_DIALECT") or "strict"
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}; one of {', '.join(DIALECTS)}")
        self.dialect = dialect
        self.queue: deque = deque()
        self.default = None
        self.delay = delay
        self.requests: list[dict] = []
        # HTTP/1.1 keeps connections open as real endpoints do (the benchmark); HTTP/1.0
        # closes each one, so a test never holds a pooled connection to a stopped server.
        self.keep_alive = keep_alive
        self.answered = 0
        self._outage_until = 0.0
        self._outage_status = 429
        self._outage_retry_after: str | None = None
        self._server = _Server(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "FakeChatServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def respond(self, content=None, *, status=200, delay=0.0, raw=None, headers=None) -> None:
        """Queue one answer: message `content` (str or JSON-able), an HTTP status, a delay,
        extra response headers (e.g. {"Retry-After": "7"})."""
        self.queue.append(
            {"content": content, "status": status, "delay": delay, "raw": raw, "headers": headers}
        )

    def outage(self, seconds: float, *, status: int = 429, retry_after: str | None = None) -> None:
        """Fail every request for `seconds` from now with `status` (and Retry-After)."""
        self._outage_until = time.monotonic() + seconds
        self._outage_status = status
        self._outage_retry_after = retry_after

    def _next(self) -> dict:
        if time.monotonic() < self._outage_until:
            headers = (
                {"Retry-After": self._outage_retry_after} if self._outage_retry_after else None
            )
            return {
                "content": None, "status": self._outage_status, "delay": 0, "raw": None,
                "headers": headers,
            }  # fmt: skip
        if self.queue:
            return self.queue.popleft()
        return {"content": self.default, "status": 200, "delay": self.delay, "raw": None}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if server.keep_alive else "HTTP/1.0"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path == "/control/outage":
                    server.outage(
                        float(body.get("seconds", 0)),
                        status=int(body.get("status", 429)),
                        retry_after=body.get("retry_after"),
                    )
                    return self._send(200, b"{}")
                server.requests.append({"path": self.path, "body": body})
                refusal = server._refusal(body)
                if refusal:
                    status, message = refusal
                    payload = {"error": {"message": message, "type": "internal_server_error"}}
                    return self._send(status, json.dumps(payload).encode())
                plan = server._next()
                if plan["delay"]:
                    time.sleep(plan["delay"])
                if plan["status"] != 200:
                    payload = {"error": {"message": "fake failure", "type": "server_error"}}
                    return self._send(
                        plan["status"], json.dumps(payload).encode(), plan.get("headers")
                    )
                if plan["raw"] is not None:
                    return self._send(200, plan["raw"].encode())
                content = plan["content"]
                if content is None:
                    content = answer_from_schema(body) if _schema(body) else DRAFT_REPLY
                if not isinstance(content, str):
                    content = json.dumps(content)
                    if "response_format" not in body:  # a plain-text model wraps its JSON
                        content = f"Here is my grading.\n```json\n{content}\n```\nDone."
                completion = {
                    "id": f"chatcmpl-{len(server.requests)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "fake-model"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160},
                }
                server.answered += 1
                return self._send(200, json.dumps(completion).encode())

            def _send(self, status: int, payload: bytes, headers: dict | None = None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

        return Handler

    def _refusal(self, body: dict) -> tuple[int, str] | None:
        """The HTTP error a server of this dialect gives for the request's response_format."""
        kind = (body.get("response_format") or {}).get("type")
        if kind is None or kind == "text" or self.dialect == "strict":
            return None
        if self.dialect == "text":
            return 400, RESPONSE_FORMAT_REFUSAL
        if kind == "json_schema":
            return 500, JSON_SCHEMA_REFUSAL
        return None


DRAFT_REPLY = (
    "Hi, thank you for getting in touch. I have looked into this and will follow up with "
    "the details shortly. (Fake model: a plain-text draft.)"
)


def _schema(request_body: dict) -> dict:
    """The JSON schema the request asks for, in whichever dialect it asks."""
    response_format = request_body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return response_format.get("json_schema", {}).get("schema", {})
    if response_format.get("type") == "json_object" and response_format.get("schema"):
        return response_format["schema"]
    for message in request_body.get("messages") or []:
        found = re.search(
            r"<<<JSON_SCHEMA\n(.*?)\nJSON_SCHEMA>>>", str(message.get("content")), re.S
        )
        if found:
            return json.loads(found.group(1))
    return {}


def answer_from_schema(request_body: dict) -> dict:
    """A valid structured answer for the request's json_schema: lowest level everywhere."""
    schema = _schema(request_body)
    criteria = schema.get("properties", {}).get("criteria", {}).get("properties", {})
    return {
        "criteria": {
            key: {
                "reasoning": "Fake grader: lowest level.",
                "quote": "",
                "score": spec["properties"]["score"]["enum"][0],
            }
            for key, spec in criteria.items()
        }
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Chat Completions server.")
    parser.add_argument("--port", type=int, default=8199)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument(
        "--dialect", choices=DIALECTS, default=None, help="which response_format it accepts"
    )
    parser.add_argument("--keep-alive", action="store_true", help="HTTP/1.1: keep connections open")
    parser.add_argument(
        "--outage-seconds", type=float, default=0, help="fail every request this long at start"
    )
    parser.add_argument("--outage-status", type=int, default=429, help="the outage's HTTP status")
    parser.add_argument("--retry-after", default=None, help="the outage's Retry-After header")
    args = parser.parse_args(argv)
    server = FakeChatServer(
        delay=args.delay, port=args.port, dialect=args.dialect, keep_alive=args.keep_alive
    )
    if args.outage_seconds:
        server.outage(args.outage_seconds, status=args.outage_status, retry_after=args.retry_after)
    print(f"Fake Chat Completions server ({server.dialect}) on {server.base_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server._server.serve_forever()
    server._server.server_close()


if __name__ == "__main__":
    main()
