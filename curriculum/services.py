"""Write operations of the base app: roles, cohorts, invitations and the demo seed."""

import contextlib
import csv
import io
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from .dates import format_when, user_zone, validate_time_zone, zone_name_or_blank
from .errors import (
    CohortImportError,
    CohortNameTakenError,
    CohortValidationError,
    InvitationError,
    InvitationInvalidError,
    InvitationWrongAccountError,
)
from .mail import absolute_url, send_templated_mail
from .models import TRAINERS_GROUP, Cohort, Invitation, Membership, User
from .roles import Role, user_has_role, user_roles_forget
from .selectors import invitation_get_usable
from .signals import demo_seeded

DEMO_PASSWORD = "coachline-demo"  # noqa: S105 - printed for the local demo on purpose
DEMO_TRAINER = ("trainer@coachline.example", "Tess Trainer")
DEMO_AGENTS = (
    ("ana@coachline.example", "Ana Alvarez"),
    ("ben@coachline.example", "Ben Okafor"),
    ("chloe@coachline.example", "Chloe Martin"),
)
DEMO_COHORT = ("demo-cohort", "Demo cohort")


@dataclass(frozen=True)
class DemoSeed:
    cohort: Cohort
    trainer: User
    agents: list[User]
    password: str


def user_grant_trainer(*, user: User) -> None:
    """Make a user a trainer (member of the Trainers group)."""
    group, _ = Group.objects.get_or_create(name=TRAINERS_GROUP)
    user.groups.add(group)
    user_roles_forget(user)


def _demo_user(email: str, full_name: str) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"full_name": full_name})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


@transaction.atomic(durable=True)
def demo_seed() -> DemoSeed:
    """Create the demo trainer, agents and cohort; running it again changes nothing."""
    trainer = _demo_user(*DEMO_TRAINER)
    if not trainer.is_staff:
        trainer.is_staff = True
        trainer.save(update_fields=["is_staff"])
    user_grant_trainer(user=trainer)
    slug, name = DEMO_COHORT
    cohort, _ = Cohort.objects.get_or_create(
        slug=slug,
        defaults={"name": name, "description": "Agents on the demo floor, created by `make run`."},
    )
    cohort.trainers.add(trainer)
    agents = [_demo_user(email, full_name) for email, full_name in DEMO_AGENTS]
    for agent in agents:
        Membership.objects.get_or_create(cohort=cohort, user=agent)
    # The apps above add their demo data (exercises: assignments, then grading: graded
    # submissions) without this app importing them; each receiver is idempotent and runs in
    # this transaction.
    demo_seeded.send(sender=Cohort, cohort=cohort, trainer=trainer)
    return DemoSeed(cohort=cohort, trainer=trainer, agents=agents, password=DEMO_PASSWORD)


# ---- cohorts ------------------------------------------------------------------------------

RESERVED_SLUGS = frozenset({"new", "join"})  # path segments of curriculum/cohort_urls.py


def _cohort_slug(name: str) -> str:
    base = slugify(name)[:120] or "cohort"
    if base in RESERVED_SLUGS:
        base = f"{base}-cohort"
    taken = set(Cohort.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _require_active(cohort: Cohort) -> None:
    if cohort.is_archived:
        raise CohortValidationError(
            f"{cohort.name} is archived: unarchive it before inviting agents or setting work."
        )


def _cohort_name(name: str, *, cohort: Cohort | None = None) -> str:
    """The name with its spaces tidied, refused when another active cohort has it (in any
    case): two cohorts called the same look identical in every list."""
    name = " ".join(name.split())
    others = Cohort.objects.filter(name__iexact=name, archived_at__isnull=True)
    if cohort is not None:
        others = others.exclude(pk=cohort.pk)
    if others.exists():
        raise CohortNameTakenError(_name_taken_message(name))
    return name


def _name_taken_message(name: str) -> str:
    return (
        f"Another active cohort is already called “{name}”. Choose a name that tells them "
        "apart, such as the start month or the team."
    )


@contextlib.contextmanager
def _name_kept_unique(name: str):
    """The database's last word on the name (cohort_active_name_unique): two trainers
    saving the same name at once both pass the check above, and one of them lands here."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if "cohort_active_name_unique" not in str(exc):
            raise
        raise CohortNameTakenError(_name_taken_message(name)) from None


@transaction.atomic(durable=True)
def cohort_create(*, user: User, name: str, description: str = "") -> Cohort:
    """A new cohort run by `user`; its slug (the URL) is derived from the name once.

    Raises CohortNameTakenError when another active cohort has the name.
    """
    name = _cohort_name(name)
    with _name_kept_unique(name):
        cohort = Cohort.objects.create(
            name=name, slug=_cohort_slug(name), description=description.strip()
        )
    cohort.trainers.add(user)
    return cohort


@transaction.atomic(durable=True)
def cohort_update(*, cohort: Cohort, name: str, description: str) -> Cohort:
    """Rename a cohort or change its description; the slug stays, so links keep working.

    Raises CohortNameTakenError when another active cohort has the name.
    """
    cohort.name = _cohort_name(name, cohort=cohort)
    cohort.description = description.strip()
    with _name_kept_unique(cohort.name):
        cohort.save(update_fields=["name", "description"])
    return cohort


@transaction.atomic(durable=True)
def cohort_set_archived(*, cohort: Cohort, archived: bool) -> Cohort:
    """Archive (read-only, hidden from agents' homes) or bring back a cohort; one whose name
    an active cohort took meanwhile comes back only after a rename (CohortNameTakenError)."""
    if not archived and cohort.is_archived:
        _cohort_name(cohort.name, cohort=cohort)
    if archived != cohort.is_archived:
        cohort.archived_at = timezone.now() if archived else None
        with _name_kept_unique(cohort.name):
            cohort.save(update_fields=["archived_at"])
    return cohort


@transaction.atomic(durable=True)
def cohort_trainer_add(*, cohort: Cohort, email: str) -> User:
    """Add an existing trainer (by email) as a co-trainer of the cohort."""
    email = email.strip()
    trainer = User.objects.filter(email__iexact=email, is_active=True).first()
    if trainer is None or not trainer.is_trainer:
        raise CohortValidationError(
            f"No trainer account uses {email}. Co-trainers need a trainer account first."
        )
    if cohort.trainers.filter(pk=trainer.pk).exists():
        raise CohortValidationError(f"{trainer.email} already runs {cohort.name}.")
    cohort.trainers.add(trainer)
    return trainer


@transaction.atomic(durable=True)
def cohort_trainer_remove(*, cohort: Cohort, trainer_id: int) -> None:
    """Remove a co-trainer; a cohort always keeps at least one trainer."""
    trainer_ids = set(cohort.trainers.values_list("pk", flat=True))
    if trainer_id not in trainer_ids:
        raise CohortValidationError("That person does not run this cohort.")
    if len(trainer_ids) == 1:
        raise CohortValidationError("A cohort needs at least one trainer: add another first.")
    cohort.trainers.remove(trainer_id)


@transaction.atomic(durable=True)
def cohort_agent_remove(*, cohort: Cohort, user_id: int) -> User:
    """Take an agent out of the cohort; their submissions and grades stay."""
    membership = (
        Membership.objects.select_related("user").filter(cohort=cohort, user_id=user_id).first()
    )
    if membership is None:
        raise CohortValidationError("That agent is not in this cohort.")
    membership.delete()
    return membership.user


# ---- invitations --------------------------------------------------------------------------

INVITATION_VALID_DAYS = 14
IMPORT_MAX_BYTES = 512 * 1024
IMPORT_MAX_ROWS = 1000
HEADER_NAMES = frozenset({"email", "e-mail", "email address", "e-mail address"})


class InviteOutcome(models.TextChoices):
    INVITED = "invited", "Invitation created"
    RENEWED = "renewed", "Invitation sent again"
    PENDING = "pending", "Already invited"
    MEMBER = "member", "Already a member"
    TRAINER = "trainer", "Trainer account"
    INVALID = "invalid", "Invalid email"
    DUPLICATE = "duplicate", "Duplicate row"
    EMPTY = "empty", "Empty row"


SENT_OUTCOMES = frozenset({InviteOutcome.INVITED, InviteOutcome.RENEWED})
# An empty row is reported (the line was skipped) but needs nothing done.
PROBLEM_OUTCOMES = frozenset(
    {InviteOutcome.INVALID, InviteOutcome.DUPLICATE, InviteOutcome.TRAINER}
)


@dataclass(frozen=True)
class InviteRow:
    """What happened to one address (one line of an uploaded file)."""

    line: int
    email: str
    name: str
    outcome: InviteOutcome
    detail: str = ""

    @property
    def label(self) -> str:
        return self.outcome.label

    @property
    def sent(self) -> bool:
        return self.outcome in SENT_OUTCOMES

    @property
    def problem(self) -> bool:
        return self.outcome in PROBLEM_OUTCOMES


@dataclass(frozen=True)
class InviteReport:
    rows: list[InviteRow]

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(row.outcome for row in self.rows)
        return {outcome.label: counted[outcome] for outcome in InviteOutcome if counted[outcome]}

    @property
    def sent(self) -> int:
        return sum(1 for row in self.rows if row.sent)

    @property
    def problems(self) -> int:
        return sum(1 for row in self.rows if row.problem)


def _renew(invitation: Invitation, now: datetime) -> None:
    invitation.token = secrets.token_urlsafe(32)
    invitation.expires_at = now + timedelta(days=INVITATION_VALID_DAYS)
    invitation.sent_at = None


def _send_on_commit(invitation_ids: list[int]) -> None:
    from .tasks import invitation_send_task

    for invitation_id in invitation_ids:
        invitation_send_task.delay_on_commit(invitation_id=invitation_id)


def _invite(
    *,
    cohort: Cohort,
    entries: list[tuple[int, list[str]]],
    invited_by: User,
    renew_pending: bool,
) -> InviteReport:
    """Decide every row, then write: a constant number of queries for any number of rows."""
    now = timezone.now()
    decided: list[InviteRow | None] = []
    wanted: list[tuple[int, str, str, str]] = []  # (index, line, email, key)
    seen: dict[str, int] = {}
    for line, cells in entries:
        cells = [cell.strip() for cell in cells]
        email = cells[0] if cells else ""
        name = cells[1] if len(cells) > 1 else ""
        if not any(cells):
            decided.append(InviteRow(line, "", "", InviteOutcome.EMPTY, "Blank line: skipped."))
            continue
        if not email:
            decided.append(InviteRow(line, email, name, InviteOutcome.INVALID, "No email address."))
            continue
        try:
            validate_email(email)
        except ValidationError:
            decided.append(
                InviteRow(line, email, name, InviteOutcome.INVALID, "Not a valid email address.")
            )
            continue
        email = User.objects.normalize_email(email)
        key = email.lower()
        if key in seen:
            decided.append(
                InviteRow(
                    line, email, name, InviteOutcome.DUPLICATE, f"Same address as line {seen[key]}."
                )
            )
            continue
        seen[key] = line
        wanted.append((len(decided), line, email, name))
        decided.append(None)

    keys = list(seen)
    members = set(
        Membership.objects.filter(cohort=cohort)
        .annotate(key=Lower("user__email"))
        .filter(key__in=keys)
        .values_list("key", flat=True)
    )
    trainers = set(
        User.objects.annotate(key=Lower("email"))
        .filter(key__in=keys)
        .filter(Q(is_staff=True) | Q(groups__name=TRAINERS_GROUP))
        .values_list("key", flat=True)
    )
    pending = {
        invitation.key: invitation
        for invitation in cohort.invitations.filter(accepted_at__isnull=True)
        .annotate(key=Lower("email"))
        .filter(key__in=keys)
    }
    created: list[Invitation] = []
    renewed: list[Invitation] = []
    for index, line, email, name in wanted:
        key = email.lower()
        if key in members:
            row = InviteRow(line, email, name, InviteOutcome.MEMBER)
        elif key in trainers:
            row = InviteRow(
                line, email, name, InviteOutcome.TRAINER, "Add trainers as co-trainers instead."
            )
        elif key in pending and not renew_pending and not pending[key].is_expired(now):
            until = format_when(pending[key].expires_at)
            row = InviteRow(
                line, email, name, InviteOutcome.PENDING, f"The link works until {until}."
            )
        elif key in pending:
            invitation = pending[key]
            _renew(invitation, now)
            if name:
                invitation.full_name = name
            renewed.append(invitation)
            row = InviteRow(line, email, name, InviteOutcome.RENEWED)
        else:
            invitation = Invitation(
                cohort=cohort, email=email, full_name=name, invited_by=invited_by
            )
            _renew(invitation, now)
            created.append(invitation)
            row = InviteRow(line, email, name, InviteOutcome.INVITED)
        decided[index] = row

    Invitation.objects.bulk_create(created)
    Invitation.objects.bulk_update(renewed, ["token", "expires_at", "sent_at", "full_name"])
    _send_on_commit([invitation.pk for invitation in [*created, *renewed]])
    return InviteReport(rows=[row for row in decided if row is not None])


@transaction.atomic(durable=True)
def invitation_create(
    *, cohort: Cohort, email: str, full_name: str = "", invited_by: User
) -> InviteRow:
    """Invite one address; inviting someone already invited sends them a fresh link."""
    _require_active(cohort)
    report = _invite(
        cohort=cohort, entries=[(1, [email, full_name])], invited_by=invited_by, renew_pending=True
    )
    return report.rows[0]


def _csv_entries(data: bytes) -> list[tuple[int, list[str]]]:
    if len(data) > IMPORT_MAX_BYTES:
        raise CohortImportError(
            f"The file is larger than {IMPORT_MAX_BYTES // 1024} KB: split it and upload the parts."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CohortImportError(
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."
        ) from None
    # strict: a stray quote is an error, not the rest of the file swallowed into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    entries: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            entries.append((reader.line_num, cells))
    except csv.Error as exc:
        raise CohortImportError(f"Line {reader.line_num} is not valid CSV: {exc}.") from None

    # Blank lines (and a spreadsheet's emptied rows, ",,") between rows are reported as
    # empty rows (the README promises every line an outcome); those after the last row are
    # a file's ending, not rows. Every row keeps the line number the reader counted.
    def filled(cells: list[str]) -> bool:
        return any(cell.strip() for cell in cells)

    while entries and not filled(entries[-1][1]):
        entries.pop()
    # A header row (the first filled line) is optional.
    first = next((i for i, (_, cells) in enumerate(entries) if filled(cells)), None)
    if first is not None and entries[first][1][0].strip().lower() in HEADER_NAMES:
        del entries[: first + 1]  # blank lines above a header are no rows either
    rows = sum(1 for _, cells in entries if filled(cells))
    if not rows:
        raise CohortImportError("The file has no rows: one address per line, as email,name.")
    if rows > IMPORT_MAX_ROWS:
        raise CohortImportError(
            f"The file has {rows} rows; import at most {IMPORT_MAX_ROWS} at a time."
        )
    return entries


def _delimiter(text: str) -> str:
    """The file's delimiter: a comma, or the semicolon (or tab) a spreadsheet wrote where
    the decimal separator is a comma (Excel in most of Europe). Sniffed from the first
    lines; a file with one column (no delimiter at all) reads as commas."""
    sample = "\n".join(line for line in text.splitlines()[:50] if line.strip())
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


@transaction.atomic(durable=True)
def invitation_import(*, cohort: Cohort, data: bytes, invited_by: User) -> InviteReport:
    """Invite everyone in a CSV file (columns email,name; header optional).

    Every row gets an outcome in the report. The import is one transaction and the emails
    go out only after it commits, so nothing is ever half-done; importing the same file
    again invites nobody twice.
    """
    _require_active(cohort)
    entries = _csv_entries(data)
    return _invite(cohort=cohort, entries=entries, invited_by=invited_by, renew_pending=False)


@transaction.atomic(durable=True)
def invitation_resend(*, invitation: Invitation) -> Invitation:
    """A fresh link (the old one stops working) with a new expiry, emailed again."""
    _require_active(invitation.cohort)
    if invitation.is_accepted:
        raise CohortValidationError(f"{invitation.email} has already joined.")
    _renew(invitation, timezone.now())
    invitation.save(update_fields=["token", "expires_at", "sent_at"])
    _send_on_commit([invitation.pk])
    return invitation


@transaction.atomic(durable=True)
def invitation_revoke(*, invitation: Invitation) -> None:
    """Withdraw an open invitation: its link stops working."""
    if invitation.is_accepted:
        raise CohortValidationError(
            f"{invitation.email} has already joined: remove them from the agents instead."
        )
    invitation.delete()


def _invitee_zone(invitation: Invitation):
    """The zone an invitation's dates are shown in: the invitee's if they have an account,
    else the inviting trainer's (most often the team's), else the site's."""
    invitee = User.objects.filter(email__iexact=invitation.email).only("time_zone").first()
    if invitee is not None and invitee.time_zone:
        return user_zone(invitee)
    return user_zone(invitation.invited_by)


def invitation_send(*, invitation_id: int) -> bool:
    """Email the invitation link; a no-op once sent, used or expired (a redelivered task).

    Runs outside any transaction: the mail server is not held up by a database lock.
    """
    invitation = (
        Invitation.objects.select_related("cohort", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None or invitation.sent_at is not None or invitation.is_accepted:
        return False
    if invitation.is_expired() or invitation.cohort.is_archived:
        return False
    url = absolute_url(reverse("cohorts:invitation-accept", args=[invitation.token]))
    send_templated_mail(
        zone=_invitee_zone(invitation),
        to=[invitation.email],
        subject=f"You are invited to join {invitation.cohort.name} on Coachline",
        template="curriculum/cohorts/email/invitation.txt",
        context={"invitation": invitation, "url": url},
    )
    # Only the link just sent is marked: a resend in between keeps its own send.
    Invitation.objects.filter(pk=invitation.pk, token=invitation.token).update(
        sent_at=timezone.now()
    )
    return True


def invitation_accept_pending(*, user: User, invitation_id: int) -> Membership:
    """Join from the home page an invitation sent to `user`'s address, without its link:
    only once the address is confirmed (else whoever typed that address at sign-up could
    join); otherwise as `invitation_accept`."""
    from allauth.account.models import EmailAddress

    invitation = Invitation.objects.filter(pk=invitation_id, email__iexact=user.email).first()
    if invitation is None:
        raise InvitationInvalidError("This invitation was not sent to your address.")
    confirmed = EmailAddress.objects.filter(
        user=user, email__iexact=user.email, verified=True
    ).exists()
    if not confirmed:
        raise InvitationError(
            f"Confirm your address {user.email} first (the link in the sign-up email), or "
            "open the link in the invitation email.",
            invitation=invitation,
        )
    return invitation_accept(token=invitation.token, user=user)


@transaction.atomic(durable=True)
def invitation_accept(*, token: str, user: User, time_zone: str = "") -> Membership:
    """`user` joins the invitation's cohort; the invitation is used up.

    Only the invited address may accept (case-insensitively), and only agents join cohorts.
    `time_zone` is the browser's guess: it becomes the user's zone if they have none yet
    (a zone they chose is kept; an unknown name is ignored).
    """
    invitation = invitation_get_usable(token=token, for_update=True)
    if user.email.lower() != invitation.email.lower():
        raise InvitationWrongAccountError(
            f"It was sent to {invitation.email}, and you are logged in as {user.email}. "
            "Log out, then sign up or log in with the invited address.",
            invitation=invitation,
        )
    if user.is_trainer:
        raise InvitationError(
            "Trainer accounts do not join cohorts as agents: ask the cohort's trainer to add "
            "you as a co-trainer instead.",
            invitation=invitation,
        )
    if not user_has_role(user, Role.AGENT):
        raise InvitationError(
            "Support leader accounts do not join cohorts as agents: they see the cohort's "
            "impact pages instead. Use another account to train as an agent.",
            invitation=invitation,
        )
    membership, _ = Membership.objects.get_or_create(cohort=invitation.cohort, user=user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    changed = []
    if invitation.full_name and not user.full_name:
        user.full_name = invitation.full_name
        changed.append("full_name")
    browser_zone = zone_name_or_blank(time_zone)
    if browser_zone and not user.time_zone:
        user.time_zone = browser_zone
        changed.append("time_zone")
    if changed:
        user.save(update_fields=changed)
    return membership


@transaction.atomic(durable=True)
def user_profile_update(*, user: User, full_name: str, time_zone: str) -> User:
    """Change the name trainers see and the zone dates are shown in (an IANA name, or ""
    for the site's zone). Raises ValidationError for an empty name or an unknown zone."""
    full_name = full_name.strip()
    if not full_name:
        raise ValidationError({"full_name": "Enter the name your trainer knows you by."})
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        raise ValidationError({"time_zone": exc.messages}) from None
    user.full_name, user.time_zone = full_name[:150], time_zone
    user.save(update_fields=["full_name", "time_zone"])
    return user
