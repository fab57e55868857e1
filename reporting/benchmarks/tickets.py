"""benchmark_scale section: the impact dashboard's CSV import of 1,000,000 tickets, next to a
raw COPY of the same file into a bare table (the bound).

A support leader of one cohort (its `agents` agents) imports a generated help-desk export
through the product's `import_job_run`, the path a queued upload takes; the same file is then
copied with nothing but `COPY ... FROM STDIN (FORMAT csv)` into a temporary table without
indexes or checks. Everything it made is deleted at the end (unless `keep`).
"""

import os
import tempfile
import time
import uuid
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files import File
from django.db import connection

from curriculum.access import SUPPORT_LEADERS_GROUP
from curriculum.models import Cohort, Membership, User
from reporting.impact import services
from reporting.impact.models import CohortImpact, ImportJob, TicketMetric

from . import Figure

ROWS = 1_000_000
TARGET_ROWS_PER_SECOND = 50_000
HEADER = (
    "ticket_id,agent_email,closed_at,category,handle_time_seconds,first_response_seconds,"
    "resolution_seconds,csat,ai_usage,draft_edit_ratio,draft_to_send_seconds\n"
)
CATEGORIES = ("simple", "complex", "escalation")
USAGE = ("human", "ai_assisted", "full_ai")


def _write_csv(path: str, *, rows: int, emails: list[str], tag: str) -> int:
    """A help-desk export of `rows` tickets, written as it is generated; returns its size."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        lines = []
        for i in range(rows):
            usage = USAGE[i % 3]
            drafted = usage != "human"
            lines.append(
                f"B{tag}-{i},{emails[i % len(emails)]},"
                f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z,"
                f"{CATEGORIES[i % 3]},{120 + i % 900},{30 + i % 600},{600 + i % 86000},"
                f"{'' if i % 7 == 0 else 1 + i % 5},{usage},"
                f"{f'0.{i % 100:02d}' if drafted else ''},{20 + i % 300 if drafted else ''}\n"
            )
            if len(lines) >= 10_000:
                out.write("".join(lines))
                lines = []
        out.write("".join(lines))
    return os.path.getsize(path)


def _raw_copy_seconds(path: str) -> float:
    """The bound: the same file through COPY into a bare temporary table."""
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute(
            """CREATE TEMPORARY TABLE bench_tickets_bare (
                ticket_id text, agent_email text, closed_at timestamptz, category text,
                handle_time_seconds integer, first_response_seconds integer,
                resolution_seconds integer, csat smallint, ai_usage text,
                draft_edit_ratio double precision, draft_to_send_seconds integer)"""
        )
        try:
            started = time.perf_counter()
            with (
                open(path, "rb") as source,
                cursor.copy("COPY bench_tickets_bare FROM STDIN (FORMAT csv, HEADER true)") as copy,
            ):
                while block := source.read(1 << 20):
                    copy.write(block)
            return time.perf_counter() - started
        finally:
            cursor.execute("DROP TABLE IF EXISTS bench_tickets_bare")


def measure(
    *,
    agents: int,
    submissions: int,
    log: Callable[[str], None],
    keep: bool = False,
    rows: int = ROWS,
) -> list[Figure]:
    """Import `rows` generated tickets and copy the same file raw; rows per second of each."""
    if connection.vendor != "postgresql":
        return [
            Figure(
                name=f"ticket import, {rows:,} rows",
                value="skipped: the bulk import and its COPY bound need PostgreSQL",
                target=f">= {TARGET_ROWS_PER_SECOND:,} rows/s",
            )
        ]
    tag = uuid.uuid4().hex[:8]
    unusable = make_password(None)
    people = User.objects.bulk_create(
        [
            User(email=f"bench-tickets-{tag}-{i}@example.invalid", password=unusable)
            for i in range(max(1, agents))
        ]
    )
    leader = User.objects.create(email=f"bench-leader-{tag}@example.invalid", password=unusable)
    leader.groups.add(Group.objects.get_or_create(name=SUPPORT_LEADERS_GROUP)[0])
    cohort = Cohort.objects.create(name=f"Benchmark tickets {tag}", slug=f"bench-tickets-{tag}")
    Membership.objects.bulk_create([Membership(cohort=cohort, user=u) for u in people])
    CohortImpact.objects.create(cohort=cohort).leaders.add(leader)
    fd, path = tempfile.mkstemp(prefix="bench-tickets-", suffix=".csv")
    os.close(fd)
    job = None
    try:
        log(f"tickets: writing {rows:,} rows ...")
        size = _write_csv(path, rows=rows, emails=[u.email for u in people], tag=tag)
        job = ImportJob(created_by=leader, source=ImportJob.Source.CSV, file_size=size,
                        original_name="bench.csv")  # fmt: skip
        with open(path, "rb") as source:
            job.file.save(f"bench-{tag}.csv", File(source), save=True)
        log(f"tickets: importing {size / 1e6:.0f} MB ...")
        started = time.perf_counter()
        services.import_job_run(job_id=job.pk)
        imported = time.perf_counter() - started
        job.refresh_from_db()
        log("tickets: raw COPY of the same file ...")
        raw = _raw_copy_seconds(path)
    finally:
        os.unlink(path)
        if not keep:
            TicketMetric.objects.filter(agent__in=people).delete()
            if job is not None:
                if job.file:
                    job.file.storage.delete(job.file.name)
                job.delete()
            cohort.delete()
            User.objects.filter(pk__in=[leader.pk, *[u.pk for u in people]]).delete()
    rate, bound = rows / imported, rows / raw
    ok = job.status == ImportJob.Status.DONE and job.rows_created == rows
    return [
        Figure(
            name=f"ticket import, {rows:,} rows",
            value=(
                f"{rate:,.0f} rows/s ({imported:.1f} s; {job.rows_created:,} created, "
                f"{job.rows_rejected:,} rejected; {rate / bound:.2f} of the raw COPY)"
            ),
            target=f">= {TARGET_ROWS_PER_SECOND:,} rows/s",
            met=ok and rate >= TARGET_ROWS_PER_SECOND,
        ),
        Figure(
            name="raw COPY of the same file (bound)", value=f"{bound:,.0f} rows/s ({raw:.1f} s)"
        ),
    ]
