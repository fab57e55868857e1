"""The CSV import on PostgreSQL: COPY into a staging table, then one set-based statement that
validates against the database and upserts.

Each row is parsed in Python by the same `rows.parse_row` as everywhere (so a malformed
value gets the same reason), then streamed with psycopg's `cursor.copy` into a temporary
staging table, in chunks between which the job records how far it has read. One statement
then resolves the agents, applies the cohort rule, reports tickets repeated in the file,
upserts the good rows (INSERT ... SELECT ... ON CONFLICT) and writes the per-row report.
The reasons decided in SQL are built from the templates in `rows.py`, which the row-by-row
path formats too, so both paths give the same report.
"""

import logging
import re
import time
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.utils import timezone

from .models import ImportJob, ImportRejection, TicketMetric
from .rows import (
    NO_SUCH_AGENT,
    NOT_YOUR_AGENT,
    REPEATED_TICKET,
    TICKET_OF_OUTSIDER,
    RowError,
    parse_row,
)

logger = logging.getLogger(__name__)

STAGE = "impact_ticket_stage"
COPY_CHUNK = 100_000  # rows per COPY statement; progress is recorded between them
STAGE_COLUMNS = (
    "line",
    "ticket_id",
    "agent_email",
    "closed_at",
    "category",
    "handle_time_seconds",
    "first_response_seconds",
    "resolution_seconds",
    "csat",
    "ai_usage",
    "draft_edit_ratio",
    "draft_to_send_seconds",
    "raw",
    "reason",
)
VALUE_FIELDS = STAGE_COLUMNS[3:12]


def sql_message(template: str, **columns: str) -> tuple[str, list[str]]:
    """A reason template of rows.py as an SQL expression: literal parts as parameters,
    `{name}` placeholders as the given column expressions (cast to text)."""
    parts = re.split(r"\{(\w+)\}", template)
    sql, params = [], []
    for index, part in enumerate(parts):
        if index % 2:
            sql.append(f"({columns[part]})::text")
        else:
            sql.append("%s")
            params.append(part)
    return " || ".join(sql), params


def _stage_create(cursor) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {STAGE} (
            line integer NOT NULL,
            ticket_id text,
            agent_email text,
            closed_at timestamptz,
            category text,
            handle_time_seconds integer,
            first_response_seconds integer,
            resolution_seconds integer,
            csat smallint,
            ai_usage text,
            draft_edit_ratio double precision,
            draft_to_send_seconds integer,
            raw text,
            reason text
        )"""
    )


def _staged_rows(items: Iterable, now):
    """The file's rows as staging tuples: parsed values, or the reason it was refused."""
    empty = (None,) * len(VALUE_FIELDS)
    for line, data, raw, reason in items:
        if reason is not None:
            yield (line, "", None, *empty, raw, reason)
            continue
        try:
            row = parse_row(data, now=now)
        except RowError as exc:
            ticket_id = str(data.get("ticket_id") or "").strip()[:64]
            yield (line, ticket_id, None, *empty, raw, str(exc)[:300])
            continue
        yield (
            line,
            row.ticket_id,
            row.agent_email,
            row.closed_at,
            row.category,
            row.handle_time_seconds,
            row.first_response_seconds,
            row.resolution_seconds,
            row.csat,
            row.ai_usage,
            row.draft_edit_ratio,
            row.draft_to_send_seconds,
            raw,
            None,
        )


def _copy_in(cursor, rows, *, job: ImportJob, tell: Callable[[], int]) -> None:
    """COPY the rows into the staging table, one statement per chunk, recording progress."""
    columns = ", ".join(STAGE_COLUMNS)
    done = False
    while not done:
        count = 0
        with cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
                if count >= COPY_CHUNK:
                    break
            else:
                done = True
        if not done:
            ImportJob.objects.filter(pk=job.pk).update(bytes_read=tell())


def _upsert_sql(*, restricted: bool) -> tuple[str, list]:
    metric = TicketMetric._meta.db_table
    rejection = ImportRejection._meta.db_table
    user = connection.ops.quote_name(
        TicketMetric._meta.get_field("agent").related_model._meta.db_table
    )
    repeated, repeated_params = sql_message(
        REPEATED_TICKET, ticket_id="s.ticket_id", first_line="s.first_line"
    )
    no_agent, no_agent_params = sql_message(NO_SUCH_AGENT, agent_email="s.agent_email")
    not_yours, not_yours_params = sql_message(NOT_YOUR_AGENT, agent_email="s.agent_email")
    # With the importer limited to their cohorts' agents, `allowed` is the set of those
    # agents (joined, not scanned per row).
    allowed_join = (
        """LEFT JOIN (SELECT DISTINCT unnest(%s::integer[]) AS id) mine ON mine.id = u.id
        LEFT JOIN (SELECT DISTINCT unnest(%s::integer[]) AS id) owner ON owner.id = t.agent_id"""
        if restricted
        else ""
    )
    not_allowed = "mine.id IS NULL" if restricted else "false"
    outsider = "t.agent_id IS NOT NULL AND owner.id IS NULL" if restricted else "false"
    values = ", ".join(f"c.{name}" for name in VALUE_FIELDS)
    updates = ", ".join(f"{name} = c.{name}" for name in ("agent_id", *VALUE_FIELDS))
    # Only identifiers of this module and the models' tables are formatted in; every value
    # (messages included) is a parameter.
    sql = f"""
    WITH s AS (
        SELECT st.*, min(st.line) FILTER (WHERE st.reason IS NULL)
            OVER (PARTITION BY st.ticket_id) AS first_line
        FROM {STAGE} st
    ),
    checked AS (
        SELECT s.line, s.ticket_id, s.raw, {", ".join(f"s.{n}" for n in VALUE_FIELDS)},
            u.id AS agent_id, t.id IS NOT NULL AS existed,
            CASE
                WHEN s.reason IS NOT NULL THEN s.reason
                WHEN s.line <> s.first_line THEN {repeated}
                WHEN u.id IS NULL THEN {no_agent}
                WHEN {not_allowed} THEN {not_yours}
                WHEN {outsider} THEN %s
            END AS reason
        FROM s
        LEFT JOIN (
            SELECT DISTINCT ON (lower(email)) lower(email) AS email, id FROM {user}
            ORDER BY lower(email), id
        ) u ON u.email = s.agent_email
        LEFT JOIN {metric} t ON t.ticket_id = s.ticket_id AND s.reason IS NULL
        {allowed_join}
    ),
    -- The upsert as a plain INSERT of the new tickets and an UPDATE of the existing ones
    -- (cheaper than INSERT ... ON CONFLICT row by row); the table lock taken before this
    -- statement keeps another import from adding the same ticket in between.
    inserted AS (
        INSERT INTO {metric} (ticket_id, agent_id, {", ".join(VALUE_FIELDS)}, imported_at)
        SELECT c.ticket_id, c.agent_id, {values}, %s
        FROM checked c WHERE c.reason IS NULL AND NOT c.existed
    ),
    updated AS (
        UPDATE {metric} m SET {updates}, imported_at = %s
        FROM checked c
        WHERE m.ticket_id = c.ticket_id AND c.reason IS NULL AND c.existed
    ),
    reported AS (
        INSERT INTO {rejection} (job_id, line_number, ticket_id, reason, raw)
        SELECT %s, c.line, left(coalesce(c.ticket_id, ''), 64), left(c.reason, 300),
            left(coalesce(c.raw, ''), %s)
        FROM checked c WHERE c.reason IS NOT NULL ORDER BY c.line LIMIT %s
        ON CONFLICT (job_id, line_number) DO NOTHING
        RETURNING 1
    )
    SELECT
        count(*) FILTER (WHERE reason IS NULL AND NOT existed),
        count(*) FILTER (WHERE reason IS NULL AND existed),
        count(*) FILTER (WHERE reason IS NOT NULL),
        (SELECT count(*) FROM reported)
    FROM checked
    """  # noqa: S608
    params = [*repeated_params, *no_agent_params, *not_yours_params, TICKET_OF_OUTSIDER]
    return sql, params


def ticket_import_copy(*, job: ImportJob, items: Iterable, resolver, tell) -> None:
    """Import the file's rows (from services._file_rows) into TicketMetric with COPY and one
    set-based upsert; record the counts and the per-row report on the job."""
    from .services import MAX_STORED_REJECTIONS, RAW_LIMIT

    now = timezone.now()
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor, for COPY
        _stage_create(cursor)
        try:
            started = time.perf_counter()
            _copy_in(cursor, _staged_rows(items, now), job=job, tell=tell)
            cursor.execute(f"ANALYZE {STAGE}")
            staged = time.perf_counter()
            restricted = resolver.allowed is not None
            sql, params = _upsert_sql(restricted=restricted)
            allowed = sorted(resolver.allowed or [])
            params += [*([allowed, allowed] if restricted else []), now, now, job.pk]
            params += [RAW_LIMIT, MAX_STORED_REJECTIONS]
            with transaction.atomic(durable=True):
                # One import writes tickets at a time (readers are not blocked): the new
                # tickets found by the statement stay new until it commits.
                cursor.execute(
                    f"LOCK TABLE {TicketMetric._meta.db_table} IN SHARE ROW EXCLUSIVE MODE"
                )
                # Room to sort the file by ticket id in memory (the repeated-id check).
                cursor.execute("SET LOCAL work_mem = '128MB'")
                cursor.execute(sql, params)
                created, updated, rejected, _stored = cursor.fetchone()
                ImportJob.objects.filter(pk=job.pk).update(
                    rows_seen=created + updated + rejected,
                    rows_created=created,
                    rows_updated=updated,
                    rows_rejected=rejected,
                    bytes_read=job.file_size,
                )
            logger.info(
                "import %s: %s rows parsed and staged in %.1f s, validated and upserted in %.1f s",
                job.pk, created + updated + rejected, staged - started,
                time.perf_counter() - staged,
            )  # fmt: skip
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
    job.refresh_from_db()
