"""`make faults`: the issue's fault table against a real stack, printed as pass/fail rows.

Starts, on this machine: the fake Chat Completions server (grading/llm/fake_server.py, in
this process), gunicorn with gunicorn.conf.py (the web process: PostgreSQL lock and
statement timeouts), a Celery worker (prefork) and Celery beat on a Redis broker, all on a
PostgreSQL database of your choosing (migrated and loaded here; its users and submissions
are left for inspection). Then, one row at a time:

  row lock     another transaction holds a row lock on agent A's workspace for
               --lock-seconds (40); A's autosave must answer within 5 s with the "someone
               else is saving this; your text is kept" message, A's retries (as the
               workspace script makes them: backoff) store the text once the lock is gone,
               and agent B saves and browses meanwhile at normal speed.
  cache down   a second gunicorn whose cache points at a closed port: login, pages,
               autosave and submit must work.
  worker killed  kill -9 of the worker's pool process while it grades (the model answers
               slowly), then of the whole worker (a new one is started): each submission
               must be graded exactly once within 2 minutes of the kill.
  model down   the model answers 429 with Retry-After for --outage-seconds (120 here; the
               issue's 30 minutes with --outage-seconds 1800), then recovers: every
               submission of the window must end with an LLM grade, none lost or stuck,
               the offline grade shown as provisional meanwhile.

Nothing here flushes Redis or drops a database. Run with:
    FAULTS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/coachline_faults \\
    FAULTS_BROKER_URL=redis://127.0.0.1:6379/14 make faults
"""

import argparse
import contextlib
import http.cookiejar
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "fault-suite-password-1"  # throwaway accounts in a test database


@dataclass
class Row:
    fault: str
    must_show: str
    passed: bool = False
    measured: str = ""
    notes: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---- an HTTP client with cookies and CSRF, as a browser would be ----------------------------


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def request(self, method: str, path: str, data: dict | None = None, *, json_reply=False):
        """(status, body text, seconds, headers)."""
        body = None
        headers = {"Referer": self.base + "/"}
        if json_reply:
            headers["Accept"] = "application/json"
        if data is not None:
            data = {**data, "csrfmiddlewaretoken": self.csrf()}
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(  # noqa: S310 - the local server under test
            self.base + path, data=body, method=method, headers=headers
        )
        started = time.monotonic()
        try:
            with self.opener.open(req, timeout=60) as response:
                text = response.read().decode()
                status, reply_headers = response.status, response.headers
        except urllib.error.HTTPError as exc:
            text, status, reply_headers = exc.read().decode(), exc.code, exc.headers
        return status, text, time.monotonic() - started, reply_headers

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, data: dict, *, json_reply=False):
        return self.request("POST", path, data, json_reply=json_reply)

    def login(self, email: str) -> int:
        from django.urls import reverse

        self.get(reverse("account_login"))
        status, _text, _s, _h = self.post(
            reverse("account_login"), {"login": email, "password": PASSWORD}
        )
        return status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def workspace_state(html: str) -> tuple[int, str]:
    revision = re.search(r'name="revision"[^>]*value="(\d+)"', html) or re.search(
        r'value="(\d+)"[^>]*name="revision"', html
    )
    token = re.search(r'name="client_token"[^>]*value="([0-9a-f-]+)"', html) or re.search(
        r'value="([0-9a-f-]{36})"[^>]*name="client_token"', html
    )
    return int(revision.group(1)) if revision else 0, token.group(1) if token else ""


# ---- processes ------------------------------------------------------------------------------


class Stack:
    def __init__(self, args, tmp: Path):
        self.args = args
        self.tmp = tmp
        self.processes: list[subprocess.Popen] = []
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "LLM_"))},
            "DEBUG": "1",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.cache_url,
            "CELERY_BROKER_URL": args.broker_url,
            "DATABASE_WEB_LOCK_TIMEOUT_MS": "3000",
            "GRADING_LEASE_SECONDS": str(args.lease_seconds),
            "GRADING_SWEEP_SECONDS": str(args.sweep_seconds),
            "LLM_RETRY_MAX_DELAY_SECONDS": str(args.retry_cap),
            "LLM_TIMEOUT_SECONDS": "30",
            "PYTHONUNBUFFERED": "1",
        }

    def start(self, name: str, command: list[str], env: dict | None = None) -> subprocess.Popen:
        logfile = (self.tmp / f"{name}.log").open("a")
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env={**self.env, **(env or {})},
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        log(f"started {name} (pid {process.pid}), log {self.tmp / f'{name}.log'}")
        return process

    def gunicorn(self, name: str, port: int, env: dict | None = None) -> str:
        self.last_web = self.start(
            name,
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi"],
            {"GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", **(env or {})},
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/", timeout=10)  # noqa: S310 - local server
                return base
            except urllib.error.HTTPError:
                return base
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"{name} did not start; see {self.tmp / f'{name}.log'}")

    def worker(self) -> subprocess.Popen:
        return self.start(
            "worker",
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=1",
             "--without-gossip", "--without-mingle", "-l", "INFO"],
        )  # fmt: skip

    def beat(self) -> subprocess.Popen:
        return self.start(
            "beat",
            [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
             "-s", str(self.tmp / "celerybeat-schedule")],
        )  # fmt: skip

    def stop(self, process: subprocess.Popen, sig=signal.SIGTERM) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            self.stop(process)


def wait_for(predicate, *, timeout: float, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return None


# ---- setup ------------------------------------------------------------------------------------


def django_setup(args, llm_base_url: str) -> None:
    os.environ.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=args.cache_url,
        CELERY_BROKER_URL=args.broker_url,
        LLM_BASE_URL=llm_base_url,
        LLM_MODEL="fake-fault-model",
        DEBUG="1",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def make_accounts(run: str) -> dict[str, str]:
    from curriculum.models import User

    emails = {}
    for name in ("agent-a", "agent-b", "agent-c"):
        email = f"{name}-{run}@faults.example.com"
        user = User.objects.create_user(email=email, password=PASSWORD)
        emails[name] = user.email
    return emails


def unique_submission(user, n: int):
    """A graded-ready tone submission whose reply differs (so the LLM cache cannot answer)."""
    from tests.factories import TONE_ANSWER, SubmissionFactory

    answer = dict(TONE_ANSWER)
    answer["reply"] = TONE_ANSWER["reply"] + f"\n\nReference {uuid.uuid4().hex[:8]}-{n}."
    return SubmissionFactory(user=user, shipped_tone=True, answer=answer)


# ---- the rows ---------------------------------------------------------------------------------


EXERCISE, SCENARIO = "tone-read-and-calibrate", "tone-charged-twice-caps"


def row_lock(stack: Stack, base: str, emails: dict, args) -> Row:
    import psycopg
    from django.urls import reverse

    from exercises.models import Workspace

    row = Row(
        f"row lock held {args.lock_seconds} s",
        "others unaffected; the blocked user gets a clear message within 5 s, no typing lost",
    )
    workspace_url = reverse("exercises:workspace", args=[EXERCISE, SCENARIO])
    save_url = reverse("exercises:workspace-save", args=[EXERCISE, SCENARIO])
    a, b = Browser(base), Browser(base)
    a.login(emails["agent-a"])
    b.login(emails["agent-b"])
    _s, html, _t, _h = a.get(workspace_url)
    revision, _token = workspace_state(html)
    b.get(workspace_url)
    workspace = Workspace.objects.get(user__email=emails["agent-a"])
    typed = f"My reply, typed while someone else held the row ({uuid.uuid4().hex[:6]})"

    locked, release = threading.Event(), threading.Event()

    def hold():
        with psycopg.connect(args.database_url) as conn:
            conn.execute(
                "SELECT id FROM exercises_workspace WHERE id = %s FOR UPDATE", [workspace.pk]
            )
            locked.set()
            release.wait(args.lock_seconds)
            conn.rollback()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    locked.wait(10)
    lock_started = time.monotonic()
    status, text, seconds, headers = a.post(
        save_url, {"revision": revision, "prompt": typed}, json_reply=True
    )
    message = json.loads(text).get("message", "") if text.startswith("{") else text[:200]
    first_answer = (status, seconds)
    # B works normally meanwhile.
    b_times = []
    b_revision = workspace_state(b.get(workspace_url)[1])[0]
    for n in range(3):
        s1, body, t1, _h1 = b.post(
            save_url, {"revision": b_revision, "prompt": f"B's text {n}"}, json_reply=True
        )
        if s1 == 200:
            b_revision = json.loads(body)["revision"]
        s2, _t2, t2, _h2 = b.get(reverse("exercises:submission-list"))
        b_times += [t1, t2]
        if (s1, s2) != (200, 200):
            row.notes.append(f"agent B got {s1}/{s2}")
    # A's page retries with backoff (1, 2, 4, ... 30 s, honouring Retry-After) until stored.
    attempts, delay, stored_after = 1, 1.0, None
    while time.monotonic() - lock_started < args.lock_seconds + 60:
        time.sleep(max(delay, float(headers.get("Retry-After") or 0)))
        delay = min(30.0, delay * 2)
        status_retry, _text, _sec, headers = a.post(
            save_url, {"revision": revision, "prompt": typed}, json_reply=True
        )
        attempts += 1
        if status_retry == 200:
            stored_after = time.monotonic() - lock_started
            break
    release.set()
    holder.join(5)
    workspace.refresh_from_db()
    kept = workspace.answer.get("prompt") == typed
    row.passed = (
        first_answer[0] == 503
        and first_answer[1] < 5
        and "text is kept" in message
        and max(b_times) < 2
        and not row.notes
        and kept
    )
    row.measured = (
        f'blocked user: HTTP {first_answer[0]} in {first_answer[1]:.1f} s ("{message[:60]}…"); '
        f"other user: slowest of {len(b_times)} requests {max(b_times):.2f} s; "
        f"text stored after {stored_after or 0:.0f} s on retry {attempts} (kept: {kept})"
    )
    return row


def row_cache_down(stack: Stack, emails: dict) -> Row:
    from django.urls import reverse

    row = Row("cache down", "pages, autosave, submit and login work")
    port = free_port()
    dead = free_port()
    base = stack.gunicorn("gunicorn-cache-down", port, {"REDIS_URL": f"redis://127.0.0.1:{dead}/0"})
    c = Browser(base)
    started = time.monotonic()
    login = c.login(emails["agent-c"])
    home, _t, _s, _h = c.get(reverse("agent-home"))
    workspace_url = reverse("exercises:workspace", args=[EXERCISE, SCENARIO])
    page, html, _s, _h = c.get(workspace_url)
    revision, token = workspace_state(html)
    from tests.factories import TONE_ANSWER

    saved, text, _s, _h = c.post(
        reverse("exercises:workspace-save", args=[EXERCISE, SCENARIO]),
        {"revision": revision, "prompt": TONE_ANSWER["prompt"]},
        json_reply=True,
    )
    revision = json.loads(text).get("revision", revision) if saved == 200 else revision
    answer = {
        "revision": revision,
        "client_token": token or str(uuid.uuid4()),
        "identified_state": TONE_ANSWER["identified_state"],
        "indicators": "\n".join(TONE_ANSWER["indicators"]),
        "prompt": TONE_ANSWER["prompt"],
        "draft_tone_fits": TONE_ANSWER["draft_tone_fits"],
        "reply": TONE_ANSWER["reply"],
    }
    submitted, _t, _s, headers = c.post(
        reverse("exercises:workspace-submit", args=[EXERCISE, SCENARIO]), answer
    )
    took = time.monotonic() - started
    stack.stop(stack.last_web)
    statuses = {"login": login, "home": home, "workspace": page, "autosave": saved}
    statuses["submit"] = submitted
    row.passed = (
        login == 302
        and home == 200
        and page == 200
        and saved == 200
        and submitted == 302
        and "/submissions/" in (headers.get("Location") or "")
    )
    row.measured = ", ".join(f"{k} {v}" for k, v in statuses.items()) + f" ({took:.1f} s in all)"
    return row


def row_worker_killed(stack: Stack, worker, server, emails: dict, args):
    from curriculum.models import User
    from grading.models import Grade, GradingJob
    from grading.services import grading_request

    row = Row("worker killed mid-grade", "graded exactly once within 2 minutes")
    agent = User.objects.get(email=emails["agent-a"])
    server.delay = args.model_delay
    results = []
    for how in ("pool process", "whole worker"):
        submission = unique_submission(agent, len(results))
        asked = len(server.requests)
        grading_request(submission_id=submission.pk)
        in_flight = wait_for(
            lambda asked=asked, s=submission: (
                len(server.requests) > asked
                and GradingJob.objects.filter(submission=s, status="running").exists()
            ),
            timeout=120,
        )
        if not in_flight:
            row.notes.append(f"{how}: grading never started")
            results.append((how, None, 0))
            continue
        if how == "pool process":
            children = subprocess.run(
                ["pgrep", "-P", str(worker.pid)], capture_output=True, text=True, check=False
            ).stdout.split()
            for pid in children:
                os.kill(int(pid), signal.SIGKILL)
            log(f"kill -9 of the worker's pool process(es) {children} mid-grade")
        else:
            stack.stop(worker, signal.SIGKILL)
            log(f"kill -9 of the whole worker (pid {worker.pid}) mid-grade; starting a new one")
            worker = stack.worker()
        killed_at = time.monotonic()
        done = wait_for(
            lambda s=submission: (
                GradingJob.objects.filter(submission=s, status="done").exists()
                and Grade.objects.filter(submission=s, grader="llm").exists()
            ),
            timeout=args.kill_timeout,
        )
        took = time.monotonic() - killed_at
        grades = Grade.objects.filter(submission=submission).count()
        results.append((how, took if done else None, grades))
    server.delay = 0
    row.passed = all(t is not None and t <= 120 and g == 2 for _how, t, g in results)
    row.measured = "; ".join(
        f"{how}: {f'graded in {t:.0f} s' if t is not None else 'NOT graded'} after the kill, "
        f"{g} grade(s) (offline + LLM, one each)"
        for how, t, g in results
    )
    return row, worker


def row_model_down(server, emails: dict, args) -> Row:
    from curriculum.models import User
    from grading.models import Flag, Grade, GradingJob
    from grading.selectors import feedback_for_submission
    from grading.services import grading_request

    row = Row(
        f"model down {args.outage_seconds:.0f} s (429, Retry-After: {args.retry_after}), then back",
        "every submission of the window ends with an LLM grade, none lost, none stuck",
    )
    agent = User.objects.get(email=emails["agent-b"])
    server.outage(args.outage_seconds, status=429, retry_after=str(args.retry_after))
    outage_started = time.monotonic()
    window = []
    spread = max(1.0, args.outage_seconds / 2 / max(1, args.submissions))
    for n in range(args.submissions):  # submissions arrive during the first half
        submission = unique_submission(agent, 100 + n)
        grading_request(submission_id=submission.pk)
        window.append(submission)
        time.sleep(spread)
    provisional = wait_for(
        lambda: all(Grade.objects.filter(submission=s, grader="offline").exists() for s in window),
        timeout=120,
    )
    shown = sum(
        1 for s in window if provisional and feedback_for_submission(submission=s).provisional
    )
    remaining = args.outage_seconds - (time.monotonic() - outage_started)
    if remaining > 0:
        time.sleep(remaining)
    back = time.monotonic()
    log("model back")
    ids = [s.pk for s in window]
    done = wait_for(
        lambda: (
            Grade.objects.filter(submission_id__in=ids, grader="llm").count() == len(ids)
            and GradingJob.objects.filter(submission_id__in=ids, status="done").count() == len(ids)
        ),
        timeout=args.retry_cap * 2 + 120,
        every=1,
    )
    took = time.monotonic() - back
    llm = Grade.objects.filter(submission_id__in=ids, grader="llm").count()
    stuck = GradingJob.objects.filter(submission_id__in=ids).exclude(status="done").count()
    failed = Flag.objects.filter(submission_id__in=ids, reason="llm_failed").count()
    rejected = len(server.requests) - server.answered
    row.passed = bool(done) and llm == len(ids) and stuck == 0 and failed == 0
    row.measured = (
        f"{llm}/{len(ids)} LLM grades, {stuck} stuck, {failed} flagged as failed; last LLM "
        f"grade {took:.0f} s after the model came back; {shown}/{len(ids)} offline grades "
        f"shown as provisional during the outage; {rejected} requests refused with 429"
    )
    return row


# ---- main -------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("FAULTS_DATABASE_URL")
        or "postgres://postgres@127.0.0.1:5432/coachline_faults",
    )
    parser.add_argument(
        "--broker-url", default=os.environ.get("FAULTS_BROKER_URL") or "redis://127.0.0.1:6379/14"
    )
    parser.add_argument(
        "--cache-url", default=os.environ.get("FAULTS_CACHE_URL") or "redis://127.0.0.1:6379/13"
    )
    parser.add_argument("--lock-seconds", type=float, default=40)
    parser.add_argument("--outage-seconds", type=float, default=120)
    parser.add_argument("--retry-after", type=int, default=5)
    parser.add_argument(
        "--retry-cap", type=float, default=30, help="LLM_RETRY_MAX_DELAY_SECONDS for the worker"
    )
    parser.add_argument("--submissions", type=int, default=6)
    parser.add_argument("--model-delay", type=float, default=6, help="model latency (kill row)")
    parser.add_argument("--lease-seconds", type=float, default=75)
    parser.add_argument("--sweep-seconds", type=float, default=30)
    parser.add_argument("--kill-timeout", type=float, default=180)
    parser.add_argument(
        "--rows", default="lock,cache,kill,model", help="comma-separated subset to run"
    )
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the fault suite needs PostgreSQL (row locks, lock_timeout)")
    rows_wanted = set(args.rows.split(","))

    from grading.llm.fake_server import FakeChatServer

    server = FakeChatServer().start()
    django_setup(args, server.base_url)
    from django.core.management import call_command

    from grading.models import Rubric
    from tests.grading.submissions import llm_scores

    tmp = Path(tempfile.mkdtemp(prefix="coachline-faults-"))
    log(f"database {args.database_url}, broker {args.broker_url}, logs in {tmp}")
    call_command("migrate", "--noinput", verbosity=0)
    call_command("load_content", verbosity=0, stdout=io.StringIO())
    server.default = llm_scores(
        Rubric.objects.get(slug="tone-calibration").current_version.snapshot
    )
    emails = make_accounts(uuid.uuid4().hex[:8])
    stack = Stack(args, tmp)
    stack.env["LLM_BASE_URL"] = server.base_url
    stack.env["LLM_MODEL"] = "fake-fault-model"
    rows: list[Row] = []
    try:
        base = stack.gunicorn("gunicorn", free_port())
        worker = stack.worker()
        stack.beat()
        time.sleep(5)
        if "lock" in rows_wanted:
            log("row: row lock")
            rows.append(row_lock(stack, base, emails, args))
        if "cache" in rows_wanted:
            log("row: cache down")
            rows.append(row_cache_down(stack, emails))
        if "kill" in rows_wanted:
            log("row: worker killed mid-grade")
            row, worker = row_worker_killed(stack, worker, server, emails, args)
            rows.append(row)
        if "model" in rows_wanted:
            log("row: model down, then back")
            rows.append(row_model_down(server, emails, args))
    finally:
        stack.stop_all()
        server.stop()
    print()
    print("| fault | must show | result | measured |")
    print("|---|---|---|---|")
    for row in rows:
        notes = f" ({'; '.join(row.notes)})" if row.notes else ""
        verdict = "PASS" if row.passed else "FAIL"
        print(f"| {row.fault} | {row.must_show} | {verdict} | {row.measured}{notes} |")
    failed = [row.fault for row in rows if not row.passed]
    print()
    print(f"fault suite: {len(rows) - len(failed)}/{len(rows)} rows pass; logs in {tmp}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
