"""The LLM path end to end against a real OpenAI-compatible server (run by `make llm-local`).

Writes one AI draft for a shipped scenario, then grades a few replies with
`grade_replies --grader llm`, and prints what happened: which response format the server
accepted, the draft, and per reply whether the LLM's grade stood or was void and flagged
(a small model invents quotes: those grades must be voided, the offline grade standing).
Exits non-zero when the draft failed or a reply was lost (neither graded nor flagged).

    LLM_BASE_URL=http://127.0.0.1:8765/v1 LLM_MODEL=local \\
        python -m grading.llm.local_check --replies tests/data/llm-local-replies.jsonl
"""

import argparse
import io
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def _wait_for(base_url: str, seconds: float) -> bool:
    """Until the server lists its models (llama.cpp loads the model before it listens)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(f"{base_url.rstrip('/')}/models", timeout=2):  # noqa: S310
                return True
        except OSError:
            time.sleep(1)
    return False


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _draft(scenario_id: str) -> bool:
    from django.conf import settings

    from exercises.errors import DraftGenerationError
    from grading.content.files import read_content

    from .drafts import generate_draft

    bundle = read_content(settings.CONTENT_DIR)
    scenario = bundle.by_id("scenario")[scenario_id].data
    facts_by_id = bundle.by_id("fact")
    facts = [facts_by_id[f].data for f in scenario.get("kb_facts") or [] if f in facts_by_id]
    print(f"== Draft for scenario {scenario_id}")
    started = time.monotonic()
    try:
        draft = generate_draft(
            scenario_data=scenario,
            prompt="The customer is upset about a second charge. Write a short, empathetic "
            "reply that explains the charge and says what we will do next.",
            variant="generic",
            facts=facts,
        )
    except DraftGenerationError as exc:
        print(f"   FAILED: {exc}")
        return False
    seconds = time.monotonic() - started
    print(
        f"   {seconds:.1f}s, {draft.prompt_tokens} prompt + {draft.completion_tokens} "
        f"completion tokens, model {draft.model}"
    )
    for line in draft.text.splitlines()[:12]:
        print(f"   | {line}")
    return True


def _grade(replies: Path) -> tuple[int, int, int, int]:
    from django.conf import settings
    from django.core.management import CommandError, call_command

    from .structured import endpoint_dialect

    lines = [line for line in replies.read_text(encoding="utf-8").splitlines() if line.strip()]
    print(f"\n== grade_replies --grader llm on {replies} ({len(lines)} replies)")
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "graded.jsonl"
        err = io.StringIO()
        started = time.monotonic()
        try:
            call_command(
                "grade_replies", "--kb", str(settings.CONTENT_DIR), "--grader", "llm",
                "--input", str(replies), "--output", str(target), stderr=err,
            )  # fmt: skip
        except CommandError as exc:
            print(f"   command: {exc}")
        seconds = time.monotonic() - started
        rows = [json.loads(line) for line in target.read_text().splitlines() if line.strip()]
    print(f"   {seconds:.1f}s; response format the server accepted: {endpoint_dialect()}")
    for message in err.getvalue().splitlines():
        if message.startswith("line "):
            print(f"   skipped {message}")
    graded = flagged = 0
    for row in rows:
        scores = " ".join(f"{key}={c['score']}" for key, c in row["criteria"].items())
        if row.get("flag"):
            flagged += 1
            print(f"   {row['id']}: LLM grade VOID, flagged ({row['flag']['reason']})")
            print(f"      {row['flag']['detail']}")
            print(f"      offline grade stands: {scores} overall={row['overall']}")
        else:
            graded += 1
            print(f"   {row['id']}: LLM grade {scores} overall={row['overall']}")
    return len(lines), graded, flagged, len(lines) - len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=Path, default=Path("tests/data/llm-local-replies.jsonl"))
    parser.add_argument("--scenario", default="tone-charged-twice-caps")
    parser.add_argument("--wait", type=float, default=0, help="seconds to wait for the server")
    args = parser.parse_args(argv)
    _setup_django()
    from django.conf import settings

    if args.wait and not _wait_for(settings.LLM_BASE_URL, args.wait):
        print(f"No server answered at {settings.LLM_BASE_URL} within {args.wait:.0f}s")
        return 1
    print(f"LLM endpoint {settings.LLM_BASE_URL}, model {settings.LLM_MODEL}\n")
    drafted = _draft(args.scenario)
    total, graded, flagged, lost = _grade(args.replies)
    print(
        f"\n== Outcome: draft {'written' if drafted else 'FAILED'}; {total} replies: "
        f"{graded} graded by the LLM, {flagged} void or failed and flagged for a trainer "
        f"(offline grade kept), {lost} lost"
    )
    return 0 if drafted and not lost else 1


if __name__ == "__main__":
    sys.exit(main())
