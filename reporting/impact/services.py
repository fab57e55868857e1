"""Writes of the impact app: importing ticket metrics, per-cohort settings, roles, API tokens."""

import csv
import hashlib
import io
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from curriculum import access
from curriculum.models import Cohort, Membership, User
from curriculum.roles import user_roles_forget

from . import access as impact_access
from .models import ApiToken, CohortImpact, ImportJob, ImportRejection, TicketMetric
from .rows import (
    NO_SUCH_AGENT,
    NOT_YOUR_AGENT,
    REPEATED_TICKET,
    TICKET_OF_OUTSIDER,
    RowError,
    TicketRow,
    header_map,
    parse_row,
)

BATCH_SIZE = 1000
MAX_STORED_REJECTIONS = 10_000
MAX_API_TICKETS = 1000
RAW_LIMIT = 500
UPSERT_FIELDS = [
    "agent",
    "closed_at",
    "category",
    "handle_time_seconds",
    "first_response_seconds",
    "resolution_seconds",
    "csat",
    "ai_usage",
    "draft_edit_ratio",
    "draft_to_send_seconds",
    "imported_at",
]


class ImpactError(Exception):
    """Base of the impact app's errors."""


class ImpactImportError(ImpactError):
    """The import as a whole cannot run (no header, wrong encoding...)."""


class ImpactPayloadError(ImpactError):
    """An API payload that is not the documented shape."""


class LeaderNotAllowedError(ImpactError):
    """This account may not be made a support leader (it trains as an agent)."""


# --- Roles and settings ------------------------------------------------------------


def user_grant_support_leader(*, user: User) -> None:
    """Make a user a support leader (member of the "Support leaders" group).

    Agents in training are refused: a leader sees colleagues' floor metrics, which agents
    never do. Raises LeaderNotAllowedError.
    """
    if Membership.objects.filter(user=user, cohort__archived_at__isnull=True).exists():
        raise LeaderNotAllowedError(
            f"{user.display_name} is an agent in a cohort, and agents cannot see the support "
            "leaders' pages. Remove them from their cohorts first, or use another account."
        )
    group, _ = Group.objects.get_or_create(name=access.SUPPORT_LEADERS_GROUP)
    user.groups.add(group)
    user_roles_forget(user)


@transaction.atomic(durable=True)
def cohort_impact_update(*, cohort: Cohort, values: dict) -> CohortImpact:
    """Create or change a cohort's impact settings (training dates, targets, thresholds)."""
    impact, _ = CohortImpact.objects.select_for_update().get_or_create(cohort=cohort)
    allowed = {
        "training_started_on",
        "training_completed_on",
        "baseline_days",
        *CohortImpact.TARGET_FIELDS,
        *CohortImpact.THRESHOLD_FIELDS,
    }
    changed = [name for name in values if name in allowed]
    for name in changed:
        setattr(impact, name, values[name])
    impact.full_clean(exclude=["cohort"])
    impact.save(update_fields=[*changed, "updated_at"])
    return impact


@transaction.atomic(durable=True)
def cohort_impact_add_leader(*, cohort: Cohort, user: User) -> CohortImpact:
    """Attach a support leader to a cohort (granting the role if needed); raises
    LeaderNotAllowedError for an agent in training."""
    user_grant_support_leader(user=user)
    impact, _ = CohortImpact.objects.get_or_create(cohort=cohort)
    impact.leaders.add(user)
    return impact


# --- API tokens --------------------------------------------------------------------


def _token_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic(durable=True)
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for the JSON endpoint; the raw key is returned once and never stored."""
    raw_key = "cli_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=_token_hash(raw_key), prefix=raw_key[:10]
    )
    return token, raw_key


def api_token_authenticate(*, raw_key: str) -> User | None:
    """The active user behind a token, or None; records when the token was last used."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_token_hash(raw_key.strip()), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


# --- Importing ---------------------------------------------------------------------


@dataclass
class Rejection:
    line_number: int
    ticket_id: str
    reason: str
    raw: str = ""


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def seen(self) -> int:
        return self.created + self.updated + len(self.rejections)


class AgentResolver:
    """Matches agent emails to users (case-insensitively), one query per batch of new emails,
    limited to the agents the importing user may import for."""

    def __init__(self, *, user: User):
        self.allowed: set[int] | None = None
        if not impact_access.impact_imports_any_agent(user):
            cohorts = Cohort.objects.filter(impact_access.impact_cohorts_q(user))
            self.allowed = set(
                Membership.objects.filter(cohort__in=cohorts).values_list("user_id", flat=True)
            )
        self._ids: dict[str, int | None] = {}

    def load(self, emails: Iterable[str]) -> None:
        missing = {email for email in emails if email not in self._ids}
        if not missing:
            return
        found = dict(
            User.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=missing)
            .values_list("email_lower", "pk")
        )
        for email in missing:
            self._ids[email] = found.get(email)

    def get(self, email: str) -> int | None:
        return self._ids.get(email)

    def may_import_for(self, agent_id: int) -> bool:
        return self.allowed is None or agent_id in self.allowed


def ticket_rows_upsert(
    *,
    items: list[tuple[int, dict, str]],
    resolver: AgentResolver,
    seen: dict[str, int] | None = None,
) -> BatchResult:
    """Validate and upsert one batch of rows given as (line number, {field: value}, raw text).

    Upsert by ticket id, so importing the same rows again changes nothing. A ticket id
    repeated within one import is reported, and only its first valid row is imported:
    `seen` (ticket id -> first line) carries that across the batches of one file. Call it
    inside a transaction (the import owns one per batch)."""
    seen = {} if seen is None else seen
    now = timezone.now()
    result = BatchResult()
    parsed: list[tuple[int, TicketRow, str]] = []
    for line, data, raw in items:
        try:
            parsed.append((line, parse_row(data, now=now), raw))
        except RowError as exc:
            ticket_id = str(data.get("ticket_id") or "").strip()[:64]
            result.rejections.append(Rejection(line, ticket_id, str(exc)[:300], raw[:RAW_LIMIT]))
    resolver.load(row.agent_email for _, row, _ in parsed)
    existing = dict(
        TicketMetric.objects.filter(ticket_id__in=[row.ticket_id for _, row, _ in parsed])
        .order_by()
        .values_list("ticket_id", "agent_id")
    )
    objects: dict[str, TicketMetric] = {}
    for line, row, raw in parsed:
        agent_id = resolver.get(row.agent_email)
        first_line = seen.setdefault(row.ticket_id, line)
        if first_line != line:
            reason = REPEATED_TICKET.format(ticket_id=row.ticket_id, first_line=first_line)
        elif agent_id is None:
            reason = NO_SUCH_AGENT.format(agent_email=row.agent_email)
        elif not resolver.may_import_for(agent_id):
            reason = NOT_YOUR_AGENT.format(agent_email=row.agent_email)
        elif row.ticket_id in existing and not resolver.may_import_for(existing[row.ticket_id]):
            reason = TICKET_OF_OUTSIDER
        else:
            reason = None
        if reason:
            result.rejections.append(Rejection(line, row.ticket_id, reason, raw[:RAW_LIMIT]))
            continue
        if row.ticket_id in existing:
            result.updated += 1
        else:
            result.created += 1
        objects[row.ticket_id] = TicketMetric(
            ticket_id=row.ticket_id,
            agent_id=agent_id,
            closed_at=row.closed_at,
            category=row.category,
            handle_time_seconds=row.handle_time_seconds,
            first_response_seconds=row.first_response_seconds,
            resolution_seconds=row.resolution_seconds,
            csat=row.csat,
            ai_usage=row.ai_usage,
            draft_edit_ratio=row.draft_edit_ratio,
            draft_to_send_seconds=row.draft_to_send_seconds,
            imported_at=now,
        )
    if objects:
        TicketMetric.objects.bulk_create(
            objects.values(),
            update_conflicts=True,
            unique_fields=["ticket_id"],
            update_fields=UPSERT_FIELDS,
        )
    return result


def _store_batch(*, job: ImportJob, result: BatchResult, bytes_read: int | None = None) -> None:
    """Record one batch's outcome on the job (inside the batch's transaction)."""
    room = MAX_STORED_REJECTIONS - job.rows_rejected
    if room > 0 and result.rejections:
        ImportRejection.objects.bulk_create(
            [
                ImportRejection(job=job, line_number=r.line_number, ticket_id=r.ticket_id,
                                reason=r.reason, raw=r.raw)
                for r in result.rejections[:room]
            ],
            ignore_conflicts=True,  # a redelivered task re-imports the same lines
        )  # fmt: skip
    job.rows_seen += result.seen
    job.rows_created += result.created
    job.rows_updated += result.updated
    job.rows_rejected += len(result.rejections)
    fields = ["rows_seen", "rows_created", "rows_updated", "rows_rejected"]
    if bytes_read is not None:
        job.bytes_read = bytes_read
        fields.append("bytes_read")
    job.save(update_fields=fields)


@transaction.atomic(durable=True)
def import_job_create(*, user: User, upload: UploadedFile) -> ImportJob:
    """Store an uploaded CSV export and queue its import (after commit)."""
    from .tasks import import_tickets_task

    job = ImportJob(
        created_by=user,
        source=ImportJob.Source.CSV,
        original_name=(upload.name or "upload.csv")[:255],
        file_size=upload.size or 0,
    )
    job.file.save(f"import-{user.pk}-{secrets.token_hex(8)}.csv", upload, save=False)
    try:
        job.save()
    except BaseException:
        job.file.storage.delete(job.file.name)  # no job points at it: do not keep it
        raise
    import_tickets_task.delay_on_commit(job_id=job.pk)
    return job


@transaction.atomic(durable=True)
def _import_job_claim(*, job_id: int) -> ImportJob | None:
    job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.is_finished:
        return None  # a redelivered task for a finished job: nothing to do
    # Queued, or running when a worker died: (re)start from the top. Rows are upserted by
    # ticket id and rejections are unique per line, so a restart double-counts nothing.
    job.status = ImportJob.Status.RUNNING
    job.started_at = timezone.now()
    job.bytes_read = job.rows_seen = job.rows_created = job.rows_updated = 0
    job.rows_rejected = 0
    job.error = ""
    job.save()
    return job


@transaction.atomic(durable=True)
def import_job_fail(*, job_id: int, error: str) -> None:
    """Mark an import failed with a message for the person who started it, and remove the
    uploaded file: the leader uploads a corrected one, nothing reads this one again."""
    failed = ImportJob.objects.filter(pk=job_id).exclude(status=ImportJob.Status.DONE)
    name = failed.values_list("file", flat=True).first()
    failed.update(status=ImportJob.Status.FAILED, error=error[:2000], finished_at=timezone.now())
    if name:
        storage = ImportJob._meta.get_field("file").storage
        transaction.on_commit(lambda: storage.delete(name))


def _csv_rows(binary) -> Iterator[tuple[int, list[str]]]:
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    for row in reader:
        yield reader.line_num, row


def _file_rows(rows, header: list[str], columns: list[str | None]):
    """(line, {field: value} or None, raw text, reason or None) per non-blank row: a row
    with the wrong number of fields comes with its reason and no data."""
    for line, values in rows:
        if not any(value.strip() for value in values):
            continue
        raw = ",".join(values)
        if len(values) != len(header):
            yield line, None, raw, f"has {len(values)} fields; the header has {len(header)}"
        else:
            yield (
                line,
                {col: value for col, value in zip(columns, values, strict=True) if col},
                raw,
                None,
            )


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Stream a queued CSV import. On PostgreSQL the rows go through COPY into a staging
    table and one set-based validate-and-upsert (bulk.py); elsewhere they are upserted in
    batches, each batch its own short transaction that also records progress. The same
    per-row report either way. Returns None if the job was already finished."""
    job = _import_job_claim(job_id=job_id)
    if job is None:
        return None
    resolver = AgentResolver(user=job.created_by)
    try:
        with job.file.open("rb") as binary:
            rows = _csv_rows(binary)
            first = next(rows, None)
            if first is None:
                raise ImpactImportError("The file is empty: expected a header row first.")
            header = first[1]
            try:
                mapping = header_map(header)
            except RowError as exc:
                raise ImpactImportError(f"The header row is not a ticket export: {exc}.") from None
            columns = [mapping.get(name) for name in header]
            items = _file_rows(rows, header, columns)
            if connection.vendor == "postgresql":
                from .bulk import ticket_import_copy

                ticket_import_copy(job=job, items=items, resolver=resolver, tell=binary.tell)
            else:
                _import_in_batches(job, items, resolver, binary.tell)
    except ImpactImportError as exc:
        import_job_fail(job_id=job.pk, error=str(exc))
        return ImportJob.objects.get(pk=job.pk)
    except UnicodeDecodeError:
        import_job_fail(
            job_id=job.pk,
            error=f"The file is not UTF-8 text (after {job.rows_seen} rows); "
            "export it as UTF-8 CSV and upload it again.",
        )
        return ImportJob.objects.get(pk=job.pk)
    except csv.Error as exc:
        import_job_fail(job_id=job.pk, error=f"The file is not valid CSV: {exc}.")
        return ImportJob.objects.get(pk=job.pk)
    return _import_job_finish(job_id=job.pk)


def _import_in_batches(job, items, resolver, tell) -> None:
    """The row-by-row path (SQLite): batches of BATCH_SIZE rows, one transaction each."""
    batch: list[tuple[int, dict, str]] = []
    rejected: list[Rejection] = []
    seen: dict[str, int] = {}
    for line, data, raw, reason in items:
        if reason is not None:
            rejected.append(Rejection(line, "", reason, raw[:RAW_LIMIT]))
        else:
            batch.append((line, data, raw))
        if len(batch) + len(rejected) >= BATCH_SIZE:
            _import_batch(job, batch, rejected, resolver, tell(), seen)
            batch, rejected = [], []
    _import_batch(job, batch, rejected, resolver, job.file_size, seen)


def _import_batch(job, batch, rejected, resolver, bytes_read, seen) -> None:
    with transaction.atomic(durable=True):
        result = ticket_rows_upsert(items=batch, resolver=resolver, seen=seen)
        result.rejections = sorted(
            [*rejected, *result.rejections], key=lambda item: item.line_number
        )
        _store_batch(job=job, result=result, bytes_read=bytes_read)


@transaction.atomic(durable=True)
def _import_job_finish(*, job_id: int) -> ImportJob:
    job = ImportJob.objects.select_for_update().get(pk=job_id)
    job.status = ImportJob.Status.DONE
    job.finished_at = timezone.now()
    job.bytes_read = job.file_size
    job.save(update_fields=["status", "finished_at", "bytes_read"])
    if job.file:
        # The rows are in the database now; do not keep a copy of the export around.
        transaction.on_commit(lambda: job.file.storage.delete(job.file.name))
    return job


@transaction.atomic(durable=True)
def import_api_payload(*, user: User, payload) -> tuple[ImportJob, list[Rejection]]:
    """Import tickets sent as JSON: {"tickets": [{field: value, ...}, ...]} (at most 1,000).

    Raises ImpactPayloadError when the payload is not that shape; rows that fail validation
    are rejected one by one (item index and reason) and the rest are imported."""
    if not isinstance(payload, dict) or not isinstance(payload.get("tickets"), list):
        raise ImpactPayloadError('Expected a JSON object {"tickets": [...]}.')
    tickets = payload["tickets"]
    if not tickets:
        raise ImpactPayloadError('"tickets" is empty.')
    if len(tickets) > MAX_API_TICKETS:
        raise ImpactPayloadError(
            f'"tickets" has {len(tickets)} items; send at most {MAX_API_TICKETS} per request.'
        )
    items, not_objects = [], []
    for index, item in enumerate(tickets):
        if isinstance(item, dict):
            data = {key: ("" if value is None else value) for key, value in item.items()}
            items.append((index, data, str(item)))
        else:
            not_objects.append(Rejection(index, "", "not a JSON object", str(item)[:RAW_LIMIT]))
    job = ImportJob.objects.create(
        created_by=user, source=ImportJob.Source.API, status=ImportJob.Status.RUNNING,
        started_at=timezone.now(),
    )  # fmt: skip
    result = ticket_rows_upsert(items=items, resolver=AgentResolver(user=user))
    result.rejections = sorted([*not_objects, *result.rejections], key=lambda r: r.line_number)
    _store_batch(job=job, result=result)
    job.status = ImportJob.Status.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at"])
    return job, result.rejections


@transaction.atomic(durable=True)
def cohort_impact_remove_leader(*, cohort: Cohort, user_id: int) -> None:
    """Detach a leader from a cohort (they keep the role for other cohorts)."""
    impact = CohortImpact.objects.filter(cohort=cohort).first()
    if impact is not None:
        impact.leaders.remove(user_id)
