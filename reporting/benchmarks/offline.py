"""benchmark_scale section: offline reply grades per CPU-second on a realistic mix of replies.

A support floor answers the same scenarios many times over: every agent's reply is its own
text, the customer's message and the knowledge base are shared. The mix is built from the
content's trainer-graded examples: each agent's reply to a scenario is one of its example
replies with one sentence left out, a sentence of another example reply to the same kind of
exercise added, and the agent's own sign-off, so no two replies are the same text and none
was seen before the clock starts. Time is CPU time (`time.process_time`) in this process;
the knowledge base is compiled inside the timed run (once per version, as in production).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from grading.batch import library_from_bundle
from grading.content.files import read_content
from grading.detectors.knowledge_base import compiled_cache_clear
from grading.detectors.text import sentences
from grading.offline import grade_answer, grade_reply

from . import Figure

TARGET_PER_CPU_SECOND = 1000
MAX_GRADES = 1000


def reply_mix(library, examples, *, count: int) -> list[dict]:
    """`count` distinct submissions: (exercise, scenario, answer) with varied replies."""
    with_reply = [e for e in examples if str((e.get("answer") or {}).get("reply") or "").strip()]
    if not with_reply:
        return []
    by_exercise: dict[str, list[dict]] = {}
    for example in with_reply:
        by_exercise.setdefault(example["exercise"], []).append(example)
    mix = []
    for index in range(count):
        example = with_reply[index % len(with_reply)]
        agent = index // len(with_reply)
        reply = example["answer"]["reply"]
        parts = [s.text for s in sentences(reply)]
        siblings = [e for e in by_exercise[example["exercise"]] if e is not example] or [example]
        donor = [s.text for s in sentences(siblings[agent % len(siblings)]["answer"]["reply"])]
        if len(parts) > 3:
            del parts[1 + agent % (len(parts) - 2)]  # keep the greeting and the sign-off
        if donor:
            parts.insert(min(len(parts), 1 + agent % 3), donor[agent % len(donor)])
        parts.append(f"Agent {agent + 1}, Support")
        answer = {**example["answer"], "reply": "\n".join(parts)}
        mix.append(
            {
                "exercise": library.exercises[example["exercise"]],
                "scenario": library.scenarios[example["scenario"]],
                "answer": answer,
            }
        )
    return mix


def _reply_grade(item: dict, kb) -> None:
    scenario = item["scenario"]
    customer = scenario.get("customer") or {}
    gold = scenario.get("gold") or {}
    grade_reply(
        customer_message=str(scenario.get("message") or ""),
        reply=item["answer"]["reply"],
        kb=kb,
        customer_name=customer.get("name"),
        customer_plan=customer.get("plan"),
        customer_state=gold.get("state"),
    )


def _submission_grade(item: dict, library) -> None:
    exercise = item["exercise"]
    grade_answer(
        exercise_type=exercise["type"],
        scenario=item["scenario"],
        answer=item["answer"],
        rubric=library.rubrics[exercise["rubric"]],
        kb=library.kb,
        reply_max_words=(exercise.get("settings") or {}).get("reply_max_words", 250),
    )


def _per_cpu_second(items: list[dict], grade: Callable[[dict], None]) -> float:
    compiled_cache_clear()
    started = time.process_time()
    for item in items:
        grade(item)
    return len(items) / max(time.process_time() - started, 1e-9)


def measure(
    *,
    agents: int,
    submissions: int,
    log: Callable[[str], None],
    content_dir: str | Path | None = None,
) -> list[Figure]:
    """Offline reply grades per CPU-second (target 1,000) and, for scale, whole-submission
    grades per CPU-second on the exercises' own rubrics; at most MAX_GRADES distinct replies
    of the agents-by-submissions floor, each kind graded on its own fresh replies."""
    bundle = read_content(content_dir or settings.CONTENT_DIR)
    library = library_from_bundle(bundle)
    count = max(1, min(agents * submissions, MAX_GRADES))
    mix = reply_mix(library, [item.data for item in bundle.of("example")], count=2 * count)
    if not mix:
        return [Figure("offline reply grades per CPU-second", "no example replies to grade")]
    replies, whole = mix[0::2], mix[1::2]
    log(f"offline grader: {len(replies)} distinct replies, then {len(whole)} submissions")
    reply_rate = _per_cpu_second(replies, lambda item: _reply_grade(item, library.kb))
    submission_rate = _per_cpu_second(whole, lambda item: _submission_grade(item, library))
    return [
        Figure(
            "offline reply grades per CPU-second (reply-quality rubric)",
            f"{reply_rate:,.0f}",
            target=f">= {TARGET_PER_CPU_SECOND:,}",
            met=reply_rate >= TARGET_PER_CPU_SECOND,
        ),
        Figure(
            "offline submission grades per CPU-second (the exercises' rubrics)",
            f"{submission_rate:,.0f}",
        ),
    ]
