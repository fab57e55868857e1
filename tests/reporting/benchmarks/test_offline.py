"""benchmark_scale's offline-grader section: distinct replies, figures that say whether the
target is met, and benchmark_grading's LLM line."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from grading.batch import library_from_bundle
from grading.content.files import read_content
from reporting.benchmarks import Figure, offline


def test_reply_mix_gives_distinct_replies_to_the_content_scenarios():
    bundle = read_content(settings.CONTENT_DIR)
    library = library_from_bundle(bundle)
    mix = offline.reply_mix(library, [item.data for item in bundle.of("example")], count=60)
    replies = [item["answer"]["reply"] for item in mix]
    assert len(mix) == 60
    assert len(set(replies)) == 60
    assert all(item["scenario"]["message"] for item in mix)


def test_reply_mix_of_content_without_replies_is_empty():
    bundle = read_content(settings.CONTENT_DIR)
    library = library_from_bundle(bundle)
    assert offline.reply_mix(library, [{"answer": {"report": "x"}}], count=5) == []


def test_measure_returns_the_reply_rate_against_its_target():
    logged = []
    figures = offline.measure(agents=2, submissions=3, log=logged.append)
    assert all(isinstance(f, Figure) for f in figures)
    reply = figures[0]
    assert reply.name.startswith("offline reply grades per CPU-second")
    assert float(reply.value.replace(",", "")) > 0
    assert reply.target == ">= 1,000"
    assert reply.met == (float(reply.value.replace(",", "")) >= 1000)
    assert logged == ["offline grader: 6 distinct replies, then 6 submissions"]


@pytest.mark.django_db(transaction=True)
def test_benchmark_grading_prints_the_ratio_to_the_bound():
    out = StringIO()
    call_command(
        "benchmark_grading",
        "--seconds=0.05",
        "--workers=2",
        "--requests=4",
        "--delay=0.01",
        stdout=out,
    )
    text = out.getvalue()
    assert "offline:" in text
    assert "N / latency bound 200.0/s; ratio to the bound" in text
    assert "ms CPU per grade" in text
