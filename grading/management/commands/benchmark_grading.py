"""manage.py benchmark_grading: offline grades per second, and LLM grading throughput.

The LLM part runs N concurrent graders (threads) against a local fake Chat Completions
server with a fixed delay, in its own process, and prints the throughput as a ratio to the
N / latency bound (N workers each waiting `delay` per grade), and the CPU per grade.
"""

import contextlib
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.test import override_settings

from grading.batch import library_from_bundle
from grading.content.files import read_content
from grading.content.validation import validate_bundle
from grading.llm.grader import grade_with_llm_data
from grading.offline import grade_answer


class Command(BaseCommand):
    help = "Print offline and LLM grading throughput (a benchmark, not a test)."

    def add_arguments(self, parser):
        parser.add_argument("--library", default=str(settings.CONTENT_DIR))
        parser.add_argument("--seconds", type=float, default=5.0, help="offline run length")
        parser.add_argument("--workers", type=int, default=8, help="concurrent LLM graders")
        parser.add_argument("--delay", type=float, default=0.2, help="fake LLM latency (s)")
        parser.add_argument("--requests", type=int, default=320, help="LLM gradings to run")
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
            answer = job["answer"]
            if isinstance(answer.get("reply"), str):
                # A text of its own each time: the grader reads each text once, and a
                # repeated example would measure its memo, not the grader.
                answer = {**answer, "reply": f"{answer['reply']}\n(#{done})"}
            grade_answer(**{**job, "answer": answer})
            done += 1
            if time.perf_counter() - started >= seconds:
                break
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"offline: {done} grades in {elapsed:.2f}s = {done / elapsed:.1f} grades/s "
            f"(one core, {len(jobs)} examples, each reply made distinct)"
        )

    def _llm(self, jobs: list[dict], workers: int, delay: float, requests: int) -> None:
        # The model runs elsewhere: the fake server gets its own process (in this one its
        # threads would share the graders' GIL), and keeps connections open as real
        # endpoints do (a fresh TCP connection per grade would measure the fake server).
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "grading.llm.fake_server",
                "--port=0",
                f"--delay={delay}",
                "--keep-alive",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            base_url = server.stdout.readline().strip().rsplit(" ", 1)[-1]
            if not base_url.startswith("http"):
                raise CommandError("the fake Chat Completions server did not start")
            with override_settings(
                LLM_BASE_URL=base_url, LLM_MODEL="fake-benchmark", LLM_TIMEOUT_SECONDS=30
            ):
                evidence = {id(job): grade_answer(**job) for job in jobs}

                def grade(job):
                    return grade_with_llm_data(**job, evidence=evidence[id(job)], cache=None)

                barrier = threading.Barrier(workers)

                def close_connections(_):
                    # One call per thread, each closing its own connections (a pool that
                    # started fewer threads breaks the barrier after a moment instead).
                    with contextlib.suppress(threading.BrokenBarrierError):
                        barrier.wait(timeout=2)
                    connections.close_all()

                work = [jobs[i % len(jobs)] for i in range(requests)]
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    list(pool.map(grade, work[:workers]))  # warm up: threads, connections
                    cpu, started = time.process_time(), time.perf_counter()
                    list(pool.map(grade, work))
                    elapsed = time.perf_counter() - started
                    cpu = time.process_time() - cpu
                    list(pool.map(close_connections, range(workers)))
        finally:
            server.terminate()
            server.wait(timeout=10)
        throughput = requests / elapsed
        bound = workers / delay
        self.stdout.write(
            f"llm: {requests} grades with {workers} workers at {delay * 1000:.0f} ms latency "
            f"in {elapsed:.2f}s = {throughput:.1f} grades/s; N / latency bound {bound:.1f}/s; "
            f"ratio to the bound {throughput / bound:.2f}; "
            f"{cpu / requests * 1000:.1f} ms CPU per grade"
        )
