"""manage.py benchmark_impact --rows N: CSV import throughput and dashboard time.

The target run is 1,000,000 tickets on PostgreSQL:

    DATABASE_URL=postgres://... manage.py benchmark_impact --rows 1000000

It works at any size. It writes a synthetic help-desk export to a temporary file, imports
it through the same service the Celery task runs (streamed, in batches), then times the
cohort dashboard (aggregates, comparisons, alerts, charts), and removes what it created
unless --keep is given. It writes to the configured database: do not point it at
production.
"""

import csv
import datetime as dt
import random
import secrets
import tempfile
import time
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from curriculum.models import Cohort, Membership, User

from ... import report, selectors, services
from ...alerts import alerts_compute
from ...models import CohortImpact, ImportJob, TicketMetric
from ...rows import FIELDS


class Command(BaseCommand):
    help = "Print ticket-import throughput (rows/s) and dashboard time (a benchmark, not a test)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--agents", type=int, default=50)
        parser.add_argument("--days", type=int, default=240, help="days of history")
        parser.add_argument("--keep", action="store_true", help="keep the data afterwards")

    def handle(self, *args, **options):
        rows, agent_count, days = options["rows"], options["agents"], options["days"]
        if rows < 1 or agent_count < 1 or days < 30:
            raise CommandError("--rows and --agents must be positive and --days at least 30.")
        tag = secrets.token_hex(4)
        today = timezone.localdate()
        importer = User.objects.create_user(f"bench-importer-{tag}@example.invalid", is_staff=True)
        cohort = Cohort.objects.create(name=f"Benchmark {tag}", slug=f"benchmark-{tag}")
        agents = User.objects.bulk_create(
            User(email=f"bench-{tag}-{i}@example.invalid", password="!")  # noqa: S106
            for i in range(agent_count)
        )
        Membership.objects.bulk_create(Membership(cohort=cohort, user=a) for a in agents)
        impact = CohortImpact.objects.create(
            cohort=cohort,
            training_started_on=today - dt.timedelta(days=days // 2),
            training_completed_on=today - dt.timedelta(days=days // 2 - 14),
            baseline_days=days // 2 - 1,
        )
        try:
            self._run(importer, impact, agents, rows, days, tag, today)
        finally:
            if not options["keep"]:
                self._cleanup(importer, cohort, agents)

    def _run(self, importer, impact, agents, rows, days, tag, today):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "export.csv"
            started = time.perf_counter()
            self._write_csv(path, agents, rows, days, tag, today)
            size_mb = path.stat().st_size / 1e6
            self.stdout.write(
                f"wrote {rows:,} rows ({size_mb:.1f} MB) in {time.perf_counter() - started:.1f}s"
            )
            with path.open("rb") as handle:
                job = ImportJob(
                    created_by=importer,
                    source=ImportJob.Source.CSV,
                    original_name=path.name,
                    file_size=path.stat().st_size,
                )
                job.file.save(f"benchmark-{tag}.csv", File(handle), save=True)  # fmt: skip
        started = time.perf_counter()
        job = services.import_job_run(job_id=job.pk)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"import: {job.rows_seen:,} rows in {elapsed:.1f}s = {job.rows_seen / elapsed:,.0f} "
            f"rows/s ({job.rows_created:,} new, {job.rows_rejected:,} rejected; "
            f"{connection.vendor}, batches of {services.BATCH_SIZE})"
        )
        for label in ("cold", "warm"):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                self._dashboard(impact)
                elapsed = time.perf_counter() - started
            self.stdout.write(
                f"dashboard ({label}): {elapsed * 1000:,.0f} ms, {len(queries)} queries, "
                f"{len(agents)} agents, {rows:,} tickets"
            )

    def _dashboard(self, impact: CohortImpact) -> None:
        impact = CohortImpact.objects.select_related("cohort").get(pk=impact.pk)
        period = selectors.period_default(impact=impact)
        summary = selectors.impact_summary(impact=impact, period=period)
        tables = report.chart_tables(summary)
        report.chart_svgs(tables, summary)
        report.capacity(summary)
        alerts_compute(summary)

    def _write_csv(self, path, agents, rows, days, tag, today) -> None:
        rng = random.Random(tag)  # noqa: S311 - synthetic data
        start = dt.datetime.combine(today - dt.timedelta(days=days), dt.time(8), tzinfo=dt.UTC)
        usages = ["full_ai", "ai_assisted", "human"]
        categories = ["simple", "simple", "simple", "complex", "complex", "escalation"]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(FIELDS)  # the required columns, then csat and the draft columns
            for i in range(rows):
                usage = rng.choice(usages)
                closed = start + dt.timedelta(seconds=rng.randrange(days * 86400))
                writer.writerow([
                    f"BENCH-{tag}-{i}",
                    agents[i % len(agents)].email,
                    closed.isoformat(),
                    rng.choice(categories),
                    rng.randint(120, 2400),
                    rng.randint(60, 7200),
                    rng.randint(600, 86400),
                    usage,
                    rng.choice(["", "", "3", "4", "5", "2"]),
                    "" if usage == "human" else f"{rng.random():.3f}",
                    "" if usage == "human" else rng.randint(10, 900),
                ])  # fmt: skip

    def _cleanup(self, importer, cohort, agents) -> None:
        started = time.perf_counter()
        TicketMetric.objects.filter(agent__in=agents).delete()
        ImportJob.objects.filter(created_by=importer).delete()
        cohort.delete()
        User.objects.filter(pk__in=[a.pk for a in agents] + [importer.pk]).delete()
        self.stdout.write(f"cleaned up in {time.perf_counter() - started:.1f}s")
