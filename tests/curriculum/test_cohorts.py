"""The cohort pages of the trainer console: create, rename, archive, agents, co-trainers,
CSV import, isolation between trainers, and constant query counts."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curriculum import services
from curriculum.errors import CohortImportError, CohortValidationError
from curriculum.models import Cohort, Invitation, Membership
from curriculum.services import InviteOutcome
from tests.factories import (
    AssignmentFactory,
    CohortFactory,
    InvitationFactory,
    MembershipFactory,
    TrainerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _cohort_urls(cohort, *, agent_id, trainer_id, invitation_id):
    """Every trainer page and action of one cohort: (method, url)."""
    slug = cohort.slug
    return [
        ("get", reverse("cohorts:detail", args=[slug])),
        ("get", reverse("cohorts:edit", args=[slug])),
        ("post", reverse("cohorts:edit", args=[slug])),
        ("post", reverse("cohorts:archive", args=[slug])),
        ("post", reverse("cohorts:invitation-create", args=[slug])),
        ("post", reverse("cohorts:invitation-import", args=[slug])),
        ("post", reverse("cohorts:invitation-resend", args=[slug, invitation_id])),
        ("post", reverse("cohorts:invitation-revoke", args=[slug, invitation_id])),
        ("get", reverse("cohorts:agent-remove", args=[slug, agent_id])),
        ("post", reverse("cohorts:agent-remove", args=[slug, agent_id])),
        ("post", reverse("cohorts:trainer-add", args=[slug])),
        ("post", reverse("cohorts:trainer-remove", args=[slug, trainer_id])),
        ("get", reverse("exercises:assignment-create", args=[slug])),
        ("post", reverse("exercises:assignment-create", args=[slug])),
    ]


@pytest.fixture
def guarded(cohort, trainer, member):
    """A cohort with an agent, an open invitation and an assignment, and all its URLs."""
    invitation = InvitationFactory(cohort=cohort)
    assignment = AssignmentFactory(cohort=cohort)
    urls = _cohort_urls(
        cohort, agent_id=member.pk, trainer_id=trainer.pk, invitation_id=invitation.pk
    )
    urls += [
        ("get", reverse("exercises:assignment-edit", args=[cohort.slug, assignment.pk])),
        ("post", reverse("exercises:assignment-edit", args=[cohort.slug, assignment.pk])),
        ("post", reverse("exercises:assignment-delete", args=[cohort.slug, assignment.pk])),
    ]
    return urls


def _unchanged(cohort, member, trainer) -> bool:
    cohort.refresh_from_db()
    return (
        cohort.archived_at is None
        and Membership.objects.filter(cohort=cohort, user=member).exists()
        and cohort.invitations.count() == 1
        and cohort.trainers.filter(pk=trainer.pk).exists()
        and cohort.assignments.count() == 1
    )


# ---- isolation ------------------------------------------------------------------------------


def test_another_trainer_gets_403_on_every_page_and_action_of_a_cohort(
    client, guarded, cohort, member, trainer
):
    client.force_login(TrainerFactory())
    for method, url in guarded:
        response = getattr(client, method)(url, {"email": "x@example.com", "archived": "1"})
        assert response.status_code == 403, (method, url)
    assert _unchanged(cohort, member, trainer)


def test_agents_get_403_on_every_trainer_page_even_of_their_own_cohort(
    client, guarded, cohort, member, trainer
):
    client.force_login(member)
    for method, url in [*guarded, ("get", reverse("cohorts:list"))]:
        assert getattr(client, method)(url).status_code == 403, (method, url)
    assert _unchanged(cohort, member, trainer)


def test_anonymous_visitors_are_sent_to_login(client, guarded):
    for method, url in guarded:
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_missing_cohort_is_404(client, trainer):
    client.force_login(trainer)
    assert client.get(reverse("cohorts:detail", args=["no-such-cohort"])).status_code == 404


def test_the_cohort_list_shows_only_the_trainers_own_cohorts(client, trainer):
    mine = CohortFactory(name="Morning shift", trainers=[trainer])
    theirs = CohortFactory(name="Night shift", trainers=[TrainerFactory()])
    MembershipFactory(cohort=theirs, user=UserFactory(email="secret.agent@example.com"))
    client.force_login(trainer)
    content = client.get(reverse("cohorts:list")).content.decode()
    assert mine.name in content
    assert theirs.name not in content
    assert reverse("cohorts:detail", args=[theirs.slug]) not in content


def test_staff_see_and_manage_every_cohort(client):
    cohort = CohortFactory(name="Night shift", trainers=[TrainerFactory()])
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert cohort.name in client.get(reverse("cohorts:list")).content.decode()
    assert client.get(reverse("cohorts:detail", args=[cohort.slug])).status_code == 200


def test_ids_of_another_cohort_do_not_work_through_your_own(client, cohort, trainer):
    other = CohortFactory(trainers=[TrainerFactory()])
    their_agent = MembershipFactory(cohort=other).user
    their_invitation = InvitationFactory(cohort=other)
    client.force_login(trainer)
    response = client.post(reverse("cohorts:agent-remove", args=[cohort.slug, their_agent.pk]))
    assert response.status_code == 302
    assert Membership.objects.filter(cohort=other, user=their_agent).exists()
    for name in ("cohorts:invitation-resend", "cohorts:invitation-revoke"):
        assert (
            client.post(reverse(name, args=[cohort.slug, their_invitation.pk])).status_code == 404
        )
    assert Invitation.objects.filter(pk=their_invitation.pk).exists()


def test_the_cohort_page_never_shows_another_cohorts_agents(client, cohort, trainer, member):
    other = CohortFactory(trainers=[TrainerFactory()])
    stranger = MembershipFactory(cohort=other, user=UserFactory(email="stranger@example.com")).user
    client.force_login(trainer)
    content = client.get(reverse("cohorts:detail", args=[cohort.slug])).content.decode()
    assert member.email in content
    assert stranger.email not in content


# ---- create, rename, archive ----------------------------------------------------------------


def test_a_trainer_creates_a_cohort_and_runs_it(client, trainer):
    client.force_login(trainer)
    response = client.post(
        reverse("cohorts:create"), {"name": "  Spring intake ", "description": "Tier 1"}
    )
    cohort = Cohort.objects.get(name="Spring intake")
    assert response["Location"] == reverse("cohorts:detail", args=[cohort.slug])
    assert cohort.slug == "spring-intake"
    assert list(cohort.trainers.all()) == [trainer]


def test_the_cohort_description_is_rendered_as_safe_markdown(client, cohort, trainer):
    cohort.description = (
        "Created by `make run`. **Tier 1** agents.\n\n<script>alert(1)</script>"
        '<a href="javascript:alert(2)">x</a>'
    )
    cohort.save(update_fields=["description"])
    client.force_login(trainer)
    content = client.get(reverse("cohorts:detail", args=[cohort.slug])).content.decode()
    assert "<code>make run</code>" in content and "<strong>Tier 1</strong>" in content
    assert "`make run`" not in content
    assert "<script>alert(1)" not in content and "javascript:" not in content


def test_cohort_slugs_stay_unique_and_avoid_the_reserved_paths(trainer):
    first = services.cohort_create(user=trainer, name="Spring intake")
    services.cohort_set_archived(cohort=first, archived=True)
    second = services.cohort_create(user=trainer, name="Spring Intake")
    reserved = services.cohort_create(user=trainer, name="New")
    assert (first.slug, second.slug) == ("spring-intake", "spring-intake-2")
    assert reserved.slug == "new-cohort"


def test_the_database_keeps_active_cohort_names_unique_when_two_trainers_race(trainer, monkeypatch):
    from django.db import IntegrityError, transaction
    from django.utils import timezone as django_timezone

    from curriculum.errors import CohortNameTakenError

    services.cohort_create(user=trainer, name="Spring intake")
    with pytest.raises(IntegrityError), transaction.atomic():
        Cohort.objects.create(name="SPRING INTAKE", slug="spring-intake-x")
    # Both trainers pass the service's check at the same moment; the database decides.
    monkeypatch.setattr(services, "_cohort_name", lambda name, cohort=None: name)
    with pytest.raises(CohortNameTakenError, match="already called “spring intake”"):
        services.cohort_create(user=trainer, name="spring intake")
    assert Cohort.objects.count() == 1
    # An archived cohort's name is free.
    Cohort.objects.update(archived_at=django_timezone.now())
    services.cohort_create(user=trainer, name="Spring intake")


def test_a_name_another_active_cohort_has_is_refused_on_the_name_field(client, trainer):
    other_trainer = TrainerFactory()
    taken = services.cohort_create(user=other_trainer, name="Spring intake")
    client.force_login(trainer)
    response = client.post(
        reverse("cohorts:create"), {"name": " spring  INTAKE ", "description": "Tier 2"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["name"] == [
        "Another active cohort is already called “spring INTAKE”. Choose a name that tells "
        "them apart, such as the start month or the team."
    ]
    assert "Tier 2" in response.content.decode()
    assert Cohort.objects.count() == 1

    mine = services.cohort_create(user=trainer, name="Autumn intake")
    url = reverse("cohorts:edit", args=[mine.slug])
    response = client.post(url, {"name": "SPRING INTAKE", "description": ""})
    assert (
        response.status_code == 400
        and "already called" in response.context["form"].errors["name"][0]
    )
    mine.refresh_from_db()
    assert mine.name == "Autumn intake"
    # Its own name in another case is fine; an archived cohort's name is free again.
    assert client.post(url, {"name": "AUTUMN intake", "description": ""}).status_code == 302
    services.cohort_set_archived(cohort=taken, archived=True)
    assert client.post(url, {"name": "Spring intake", "description": ""}).status_code == 302


def test_a_cohort_whose_name_was_taken_meanwhile_is_unarchived_only_after_a_rename(client, trainer):
    old = services.cohort_create(user=trainer, name="Spring intake")
    services.cohort_set_archived(cohort=old, archived=True)
    services.cohort_create(user=trainer, name="Spring intake")
    with pytest.raises(CohortValidationError, match="already called"):
        services.cohort_set_archived(cohort=old, archived=False)
    client.force_login(trainer)
    response = client.post(
        reverse("cohorts:archive", args=[old.slug]), {"archived": "0"}, follow=True
    )
    assert "Rename this one first" in response.content.decode()
    old.refresh_from_db()
    assert old.is_archived


def test_a_cohort_without_a_name_keeps_what_was_typed(client, trainer):
    client.force_login(trainer)
    response = client.post(reverse("cohorts:create"), {"name": "  ", "description": "Tier 2"})
    assert response.status_code == 400
    assert "Tier 2" in response.content.decode()
    assert not Cohort.objects.exists()


def test_renaming_keeps_the_address(client, cohort, trainer):
    client.force_login(trainer)
    slug = cohort.slug
    client.post(reverse("cohorts:edit", args=[slug]), {"name": "Renamed", "description": ""})
    cohort.refresh_from_db()
    assert (cohort.name, cohort.slug) == ("Renamed", slug)


def test_archiving_hides_the_cohort_from_agents_and_blocks_invitations(
    client, cohort, trainer, member
):
    client.force_login(trainer)
    client.post(reverse("cohorts:archive", args=[cohort.slug]), {"archived": "1"})
    cohort.refresh_from_db()
    assert cohort.is_archived
    response = client.post(
        reverse("cohorts:invitation-create", args=[cohort.slug]), {"email": "a@example.com"}
    )
    assert response.status_code == 302
    assert not Invitation.objects.exists()

    agent_client = Client()
    agent_client.force_login(member)
    assert cohort.name not in agent_client.get(reverse("agent-home")).content.decode()

    client.post(reverse("cohorts:archive", args=[cohort.slug]), {"archived": "0"})
    cohort.refresh_from_db()
    assert not cohort.is_archived


# ---- agents and co-trainers -------------------------------------------------------------------


def test_removing_an_agent_asks_first_then_keeps_their_account(client, cohort, trainer, member):
    client.force_login(trainer)
    url = reverse("cohorts:agent-remove", args=[cohort.slug, member.pk])
    assert (
        f'href="{url}"'
        in client.get(reverse("cohorts:detail", args=[cohort.slug])).content.decode()
    )
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert f"Remove {member.display_name} from {cohort.name}?" in confirm.content.decode()
    assert Membership.objects.filter(cohort=cohort, user=member).exists()
    client.post(url)
    assert not Membership.objects.filter(cohort=cohort, user=member).exists()
    member.refresh_from_db()
    assert member.is_active
    # Once out, there is nothing left to confirm.
    assert client.get(url).status_code == 404


def test_a_co_trainer_is_added_by_email_and_then_sees_the_cohort(client, cohort, trainer):
    colleague = TrainerFactory(email="colleague@example.com")
    client.force_login(trainer)
    client.post(
        reverse("cohorts:trainer-add", args=[cohort.slug]), {"email": "COLLEAGUE@example.com"}
    )
    assert cohort.trainers.filter(pk=colleague.pk).exists()
    client.force_login(colleague)
    assert client.get(reverse("cohorts:detail", args=[cohort.slug])).status_code == 200


def test_only_trainer_accounts_become_co_trainers(cohort, agent):
    with pytest.raises(CohortValidationError, match="No trainer account"):
        services.cohort_trainer_add(cohort=cohort, email=agent.email)
    with pytest.raises(CohortValidationError, match="No trainer account"):
        services.cohort_trainer_add(cohort=cohort, email="nobody@example.com")


def test_a_cohort_keeps_at_least_one_trainer(cohort, trainer):
    with pytest.raises(CohortValidationError, match="at least one trainer"):
        services.cohort_trainer_remove(cohort=cohort, trainer_id=trainer.pk)
    colleague = TrainerFactory()
    cohort.trainers.add(colleague)
    services.cohort_trainer_remove(cohort=cohort, trainer_id=trainer.pk)
    assert list(cohort.trainers.all()) == [colleague]


# ---- inviting one agent ---------------------------------------------------------------------


def test_inviting_an_agent_emails_a_link_after_commit(
    client, cohort, trainer, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://coachline.example.com"
    client.force_login(trainer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("cohorts:invitation-create", args=[cohort.slug]),
            {"email": "new.agent@example.com", "full_name": "New Agent"},
        )
    invitation = Invitation.objects.get()
    assert invitation.invited_by == trainer
    assert invitation.sent_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.agent@example.com"]
    assert cohort.name in message.subject
    link = "https://coachline.example.com" + reverse(
        "cohorts:invitation-accept", args=[invitation.token]
    )
    assert link in message.body


def test_an_invalid_address_keeps_what_was_typed(client, cohort, trainer):
    client.force_login(trainer)
    response = client.post(
        reverse("cohorts:invitation-create", args=[cohort.slug]),
        {"email": "not-an-address", "full_name": "Typo Person"},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "not-an-address" in content and "Typo Person" in content
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("email", "said"),
    [
        ("member", "already a member."),
        ("trainer", "trainer account. Add trainers as co-trainers instead."),
    ],
)
def test_an_invitation_nobody_gets_is_reported_as_an_error(
    client, cohort, trainer, member, email, said
):
    address = member.email if email == "member" else trainer.email
    client.force_login(trainer)
    response = client.post(
        reverse("cohorts:invitation-create", args=[cohort.slug]), {"email": address}, follow=True
    )
    [message] = list(response.context["messages"])
    assert message.level_tag == "error"
    assert str(message) == f"{address}: {said}"
    assert not Invitation.objects.exists()


def test_inviting_again_sends_a_fresh_link(cohort, trainer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(cohort=cohort, email="a@example.com", invited_by=trainer)
    old_token = Invitation.objects.get().token
    with django_capture_on_commit_callbacks(execute=True):
        row = services.invitation_create(cohort=cohort, email="A@example.com", invited_by=trainer)
    assert row.outcome == InviteOutcome.RENEWED
    assert Invitation.objects.count() == 1
    assert Invitation.objects.get().token != old_token
    assert len(mail.outbox) == 2


def test_a_redelivered_send_task_sends_nothing_twice(cohort, trainer):
    invitation = InvitationFactory(cohort=cohort)
    assert services.invitation_send(invitation_id=invitation.pk)
    assert not services.invitation_send(invitation_id=invitation.pk)
    assert len(mail.outbox) == 1


def test_resending_replaces_the_link_and_withdrawing_deletes_it(client, cohort, trainer):
    invitation = InvitationFactory(cohort=cohort)
    old_token = invitation.token
    client.force_login(trainer)
    client.post(reverse("cohorts:invitation-resend", args=[cohort.slug, invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.token != old_token
    client.post(reverse("cohorts:invitation-revoke", args=[cohort.slug, invitation.pk]))
    assert not Invitation.objects.exists()


# ---- CSV import -----------------------------------------------------------------------------

MIXED_CSV = """email,name
good.one@example.com,Good One
{member},Already Here
not-an-email,Bad Address
GOOD.ONE@example.com,Good Again
,
good.two@example.com
{trainer},A Trainer
,Name Without Email
{pending},Still Pending
"""


def test_csv_import_reports_every_row_and_invites_only_the_good_ones(
    client, cohort, trainer, member, django_capture_on_commit_callbacks
):
    pending = InvitationFactory(cohort=cohort, email="pending@example.com")
    data = MIXED_CSV.format(member=member.email, trainer=trainer.email, pending=pending.email)
    client.force_login(trainer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cohorts:invitation-import", args=[cohort.slug]),
            {"file": SimpleUploadedFile("agents.csv", data.encode(), "text/csv")},
        )
    assert response.status_code == 200
    rows = response.context["report"].rows
    assert [(row.line, row.outcome) for row in rows] == [
        (2, InviteOutcome.INVITED),
        (3, InviteOutcome.MEMBER),
        (4, InviteOutcome.INVALID),
        (5, InviteOutcome.DUPLICATE),
        (6, InviteOutcome.EMPTY),
        (7, InviteOutcome.INVITED),
        (8, InviteOutcome.TRAINER),
        (9, InviteOutcome.INVALID),
        (10, InviteOutcome.PENDING),
    ]
    assert "Same address as line 2" in rows[3].detail
    assert sorted(Invitation.objects.values_list("email", flat=True)) == [
        "good.one@example.com",
        "good.two@example.com",
        "pending@example.com",
    ]
    assert sorted(message.to[0] for message in mail.outbox) == [
        "good.one@example.com",
        "good.two@example.com",
    ]
    content = response.content.decode()
    assert "Invalid email" in content and "Duplicate row" in content
    assert "Empty row" in content and "Blank line: skipped." in content  # the "," line
    assert "4 rows need your attention" in content


def test_blank_lines_in_a_csv_are_reported_as_empty_rows_and_need_nothing_done(
    client, cohort, trainer, django_capture_on_commit_callbacks
):
    data = b"email,name\n\na@example.com,A\n  \n,,\n\nb@example.com,B\n\n"
    client.force_login(trainer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cohorts:invitation-import", args=[cohort.slug]),
            {"file": SimpleUploadedFile("agents.csv", data, "text/csv")},
        )
    rows = response.context["report"].rows
    # Blank lines between rows are reported (the line was skipped); those at the end are not.
    assert [(row.line, row.email, row.outcome) for row in rows] == [
        (2, "", InviteOutcome.EMPTY),
        (3, "a@example.com", InviteOutcome.INVITED),
        (4, "", InviteOutcome.EMPTY),
        (5, "", InviteOutcome.EMPTY),
        (6, "", InviteOutcome.EMPTY),
        (7, "b@example.com", InviteOutcome.INVITED),
    ]
    assert response.context["report"].problems == 0
    assert "your attention" not in response.content.decode()
    assert Invitation.objects.count() == 2


@pytest.mark.parametrize(
    "data",
    [
        b"email;name\r\nana@example.com;Ana Alvarez\r\nben@example.com;Okafor, Ben\r\n",
        b'\xef\xbb\xbfana@example.com;Ana Alvarez\nben@example.com;"Okafor, Ben"\n',
        b"email\tname\nana@example.com\tAna Alvarez\nben@example.com\tOkafor, Ben\n",
    ],
    ids=["excel-semicolons", "bom-and-quotes", "tabs"],
)
def test_a_spreadsheets_semicolon_or_tab_csv_is_read(cohort, trainer, data):
    report = services.invitation_import(cohort=cohort, data=data, invited_by=trainer)
    assert [(row.email, row.name, row.outcome) for row in report.rows] == [
        ("ana@example.com", "Ana Alvarez", InviteOutcome.INVITED),
        ("ben@example.com", "Okafor, Ben", InviteOutcome.INVITED),
    ]


def test_a_comma_csv_with_semicolons_in_names_stays_comma_separated(cohort, trainer):
    data = b'email,name\na@example.com,"A; the first"\nb@example.com,B\n'
    report = services.invitation_import(cohort=cohort, data=data, invited_by=trainer)
    assert [(row.email, row.name) for row in report.rows] == [
        ("a@example.com", "A; the first"),
        ("b@example.com", "B"),
    ]


def test_a_one_column_file_of_addresses_is_read(cohort, trainer):
    report = services.invitation_import(
        cohort=cohort, data=b"a@example.com\nb@example.com\n", invited_by=trainer
    )
    assert [row.outcome for row in report.rows] == [InviteOutcome.INVITED] * 2


def test_importing_the_same_file_again_invites_nobody_twice(
    cohort, trainer, django_capture_on_commit_callbacks
):
    data = b"a@example.com,A\nb@example.com,B\n"
    with django_capture_on_commit_callbacks(execute=True):
        first = services.invitation_import(cohort=cohort, data=data, invited_by=trainer)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.invitation_import(cohort=cohort, data=data, invited_by=trainer)
    assert first.sent == 2
    assert [row.outcome for row in second.rows] == [InviteOutcome.PENDING] * 2
    assert Invitation.objects.count() == 2
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("é,x\n".encode("latin-1"), "not UTF-8"),
        (b"email,name\n\n\n", "no rows"),
        (b'ok@example.com,Ok\n"unclosed@example.com,quote\nlast@example.com\n', "not valid CSV"),
    ],
)
def test_an_unreadable_file_is_refused_whole(client, cohort, trainer, data, message):
    client.force_login(trainer)
    response = client.post(
        reverse("cohorts:invitation-import", args=[cohort.slug]),
        {"file": SimpleUploadedFile("agents.csv", data, "text/csv")},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invitation.objects.exists()


def test_too_many_rows_are_refused_before_anything_is_written(cohort, trainer, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_MAX_ROWS", 3)
    data = "".join(f"agent{n}@example.com\n" for n in range(4)).encode()
    with pytest.raises(CohortImportError, match="at most 3"):
        services.invitation_import(cohort=cohort, data=data, invited_by=trainer)
    assert not Invitation.objects.exists()


def test_a_failure_mid_import_leaves_nothing_behind(cohort, trainer, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Invitation.objects, "bulk_update", broken)
    with pytest.raises(RuntimeError):
        services.invitation_import(cohort=cohort, data=b"a@example.com\n", invited_by=trainer)
    assert not Invitation.objects.exists()
    assert mail.outbox == []


# ---- query counts ---------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _fill(cohort, agents: int) -> None:
    users = UserFactory.create_batch(agents)
    Membership.objects.bulk_create([Membership(cohort=cohort, user=user) for user in users])
    InvitationFactory.create_batch(max(1, agents // 5), cohort=cohort)
    AssignmentFactory.create_batch(max(1, agents // 20), cohort=cohort)


def test_the_cohort_page_uses_the_same_queries_for_5_and_100_agents(client, trainer):
    small = CohortFactory(trainers=[trainer])
    large = CohortFactory(trainers=[trainer, TrainerFactory(), TrainerFactory()])
    _fill(small, 5)
    _fill(large, 100)
    client.force_login(trainer)
    assert _queries(client, reverse("cohorts:detail", args=[small.slug])) == _queries(
        client, reverse("cohorts:detail", args=[large.slug])
    )


def test_the_cohort_list_uses_the_same_queries_however_many_cohorts_and_agents(
    client, trainer, django_assert_num_queries
):
    _fill(CohortFactory(trainers=[trainer]), 5)
    client.force_login(trainer)
    url = reverse("cohorts:list")
    expected = _queries(client, url)
    for _ in range(4):
        _fill(CohortFactory(trainers=[trainer, TrainerFactory()]), 25)
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert len(response.context["cohorts"]) == 5


# ---- the access rules: every role, for invitations and assignments ------------------------


@pytest.mark.parametrize(
    ("role", "view", "change"),
    [
        ("cohort_trainer", True, True),
        ("other_trainer", False, False),
        ("member", True, False),
        ("outsider", False, False),
        ("staff", True, True),
    ],
)
def test_assignment_rules(role, view, change, cohort, trainer, member):
    from curriculum import access

    users = {
        "cohort_trainer": trainer,
        "other_trainer": TrainerFactory(),
        "member": member,
        "outsider": UserFactory(),
        "staff": UserFactory(is_staff=True),
    }
    assignment = AssignmentFactory(cohort=cohort)
    assert access.can_view(users[role], assignment) is view
    assert access.can_change(users[role], assignment) is change


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("cohort_trainer", True),
        ("other_trainer", False),
        ("member", False),
        ("invitee", False),
        ("staff", True),
    ],
)
def test_invitation_rules(role, allowed, cohort, trainer, member):
    from curriculum import access

    invitation = InvitationFactory(cohort=cohort, email="invitee@example.com")
    users = {
        "cohort_trainer": trainer,
        "other_trainer": TrainerFactory(),
        "member": member,
        "invitee": UserFactory(email="invitee@example.com"),
        "staff": UserFactory(is_staff=True),
    }
    assert access.can_view(users[role], invitation) is allowed
    assert access.can_change(users[role], invitation) is allowed


def test_a_trainer_who_leaves_a_cohort_goes_back_to_the_list(client, cohort, trainer):
    cohort.trainers.add(TrainerFactory())
    client.force_login(trainer)
    response = client.post(reverse("cohorts:trainer-remove", args=[cohort.slug, trainer.pk]))
    assert response["Location"] == reverse("cohorts:list")
    assert client.get(reverse("cohorts:detail", args=[cohort.slug])).status_code == 403
