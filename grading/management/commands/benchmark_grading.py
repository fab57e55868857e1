"""manage.py benchmark_grading: offline grades per second, and LLM grading throughput.

The LLM part runs N concurrent graders against a local fake Chat Completions server with a
fixed delay and prints the throughput as a ratio to the ideal N / delay.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import override_settings

from grading.batch import library_from_bundle
from grading.content.files import read_content
from grading.content.validation import validate_bundle
from grading.llm.fake_server import FakeChatServer
from grading.llm.grader import grade_with_llm_data
from grading.offline import grade_answer


class Command(BaseCommand):
    help = "Print offline and LLM grading throughput (a benchmark, not a test)."

    def add_arguments(self, parser):
        parser.add_argument("--library", default=str(settings.CONTENT_DIR))
        parser.add_argument("--seconds", type=float, default=5.0, help="offline run length")
        parser.add_argument("--workers", type=int, default=8, help="concurrent LLM graders")
        parser.add_argument("--delay", type=float, default=0.2, help="fake LLM latency (s)")
        parser.add_argument("--requests", type=int, default=64, help="LLM gradings to run")
        parser.add_argument("--skip-llm", action="store_true")

    def handle(self, *args, **options):
        bundle = read_content(options["library"])
        if validate_bundle(bundle):
            raise CommandError(f"{options['library']} has content errors; run load_content --check")
        library = library_from_bundle(bundle)
        jobs = [self._job(library, item.data) for item in bundle.of("example")]
        if not jobs:
            raise CommandError("the library has no examples to grade")
        self._offline(jobs, options["seconds"])
        if not options["skip_llm"]:
            self._llm(jobs, options["workers"], options["delay"], options["requests"])

    def _job(self, library, example: dict) -> dict:
        exercise = library.exercises[example["exercise"]]
        return {
            "exercise_type": exercise["type"],
            "scenario": library.scenarios[example["scenario"]],
            "answer": example["answer"],
            "rubric": library.rubrics[exercise["rubric"]],
            "kb": library.kb,
        }

    def _offline(self, jobs: list[dict], seconds: float) -> None:
        done, started = 0, time.perf_counter()
        for job in cycle(jobs):
            grade_answer(**job)
            done += 1
            if time.perf_counter() - started >= seconds:
                break
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"offline: {done} grades in {elapsed:.2f}s = {done / elapsed:.1f} grades/s "
            f"(one core, {len(jobs)} distinct examples)"
        )

    def _llm(self, jobs: list[dict], workers: int, delay: float, requests: int) -> None:
        server = FakeChatServer(delay=delay).start()
        try:
            with override_settings(
                LLM_BASE_URL=server.base_url, LLM_MODEL="fake-benchmark", LLM_TIMEOUT_SECONDS=30
            ):
                evidence = {id(job): grade_answer(**job) for job in jobs}
                work = [jobs[i % len(jobs)] for i in range(requests)]
                started = time.perf_counter()
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    list(pool.map(lambda job: grade_with_llm_data(
                        **job, evidence=evidence[id(job)], cache=None), work))  # fmt: skip
                elapsed = time.perf_counter() - started
        finally:
            server.stop()
        throughput = requests / elapsed
        ideal = workers / delay
        self.stdout.write(
            f"llm: {requests} grades with {workers} workers at {delay * 1000:.0f} ms latency "
            f"in {elapsed:.2f}s = {throughput:.1f} grades/s; ideal {ideal:.1f}/s; "
            f"ratio {throughput / ideal:.2f}"
        )
