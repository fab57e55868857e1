"""A person's time zone: set from the browser at sign-up and on joining a cohort, changed on
the profile page, activated for each of their requests, and used for the emails they get."""

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from curriculum import services
from curriculum.dates import format_when
from curriculum.middleware import UserTimeZoneMiddleware
from curriculum.models import Membership, User
from tests.factories import InvitationFactory, TrainerFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSPHRASE = "a-long-unique-passphrase"
SIGNUP = {"full_name": "New Agent", "password1": PASSPHRASE, "password2": PASSPHRASE}


# ---- the middleware ------------------------------------------------------------------------


def _zone_seen_by_view(user) -> tuple[str, str]:
    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()
        return HttpResponse()

    request = RequestFactory().get("/")
    request.user = user
    UserTimeZoneMiddleware(view)(request)
    return seen["zone"], timezone.get_current_timezone_name()


def test_the_middleware_activates_the_users_zone_and_resets_it_after(settings):
    settings.TIME_ZONE = "UTC"
    during, after = _zone_seen_by_view(UserFactory(time_zone="America/New_York"))
    assert during == "America/New_York"
    assert after == "UTC"


def test_the_middleware_gives_users_without_a_zone_and_visitors_the_site_zone(settings):
    from django.contrib.auth.models import AnonymousUser

    settings.TIME_ZONE = "Europe/Paris"
    assert _zone_seen_by_view(UserFactory(time_zone=""))[0] == "Europe/Paris"
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):  # left over from elsewhere
        assert _zone_seen_by_view(AnonymousUser())[0] == "Europe/Paris"


def test_the_middleware_survives_a_zone_that_no_longer_exists(settings):
    settings.TIME_ZONE = "UTC"
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(time_zone="Gone/Removed")
    user.refresh_from_db()
    assert _zone_seen_by_view(user)[0] == "UTC"


def test_the_middleware_resets_the_zone_when_the_view_fails(settings):
    settings.TIME_ZONE = "UTC"

    def view(request):
        raise RuntimeError("boom")

    request = RequestFactory().get("/")
    request.user = UserFactory(time_zone="Asia/Tokyo")
    with pytest.raises(RuntimeError):
        UserTimeZoneMiddleware(view)(request)
    assert timezone.get_current_timezone_name() == "UTC"


def test_pages_show_dates_in_the_readers_zone(client, settings):
    """The whole stack: the same submission time, seen from two zones."""
    from tests.factories import SubmissionFactory

    settings.TIME_ZONE = "UTC"
    agent = UserFactory(time_zone="Europe/Berlin")
    submission = SubmissionFactory(user=agent)
    type(submission).objects.filter(pk=submission.pk).update(
        created_at=datetime(2026, 12, 7, 13, 5, tzinfo=UTC)
    )
    client.force_login(agent)
    page = client.get(reverse("exercises:submission-list")).content.decode()
    assert "7 Dec 2026, 14:05 CET" in page
    agent.time_zone = "America/New_York"
    agent.save(update_fields=["time_zone"])
    page = client.get(reverse("exercises:submission-list")).content.decode()
    assert "7 Dec 2026, 08:05 EST" in page


# ---- sign-up and joining a cohort ----------------------------------------------------------


def test_signup_keeps_the_zone_the_browser_sent(client):
    client.post(
        reverse("account_signup"),
        {**SIGNUP, "email": "berlin@example.com", "time_zone": "Europe/Berlin"},
    )
    assert User.objects.get(email="berlin@example.com").time_zone == "Europe/Berlin"


@pytest.mark.parametrize("sent", [None, "", "Mars/Olympus_Mons", "<script>", "x" * 500])
def test_signup_without_a_usable_zone_falls_back_to_the_site_zone(client, sent):
    """Without JavaScript (no value) or with a value we do not know, the sign-up still
    works: the zone stays blank, which means the site's."""
    data = {**SIGNUP, "email": "nojs@example.com"}
    if sent is not None:
        data["time_zone"] = sent
    client.post(reverse("account_signup"), data)
    assert User.objects.get(email="nojs@example.com").time_zone == ""


def test_the_signup_form_carries_the_hidden_field_and_the_script(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert 'type="hidden" name="time_zone"' in page
    assert "data-browser-time-zone" in page
    assert "coachline/time_zone.js" in page


@pytest.fixture
def invitation(cohort, trainer):
    return InvitationFactory(cohort=cohort, email="invitee@example.com", invited_by=trainer)


def test_joining_a_cohort_sets_the_zone_of_an_account_without_one(client, invitation, cohort):
    user = UserFactory(email="invitee@example.com", time_zone="")
    client.force_login(user)
    page = client.get(reverse("cohorts:invitation-accept", args=[invitation.token]))
    assert "data-browser-time-zone" in page.content.decode()
    client.post(
        reverse("cohorts:invitation-accept", args=[invitation.token]),
        {"time_zone": "Asia/Kolkata"},
    )
    user.refresh_from_db()
    assert Membership.objects.filter(cohort=cohort, user=user).exists()
    assert user.time_zone == "Asia/Kolkata"


def test_joining_a_cohort_keeps_a_zone_the_user_chose(invitation):
    user = UserFactory(email="invitee@example.com", time_zone="Europe/Lisbon")
    services.invitation_accept(token=invitation.token, user=user, time_zone="Asia/Kolkata")
    user.refresh_from_db()
    assert user.time_zone == "Europe/Lisbon"


def test_joining_a_cohort_ignores_a_zone_it_does_not_know(client, invitation, cohort):
    user = UserFactory(email="invitee@example.com", time_zone="")
    client.force_login(user)
    response = client.post(
        reverse("cohorts:invitation-accept", args=[invitation.token]), {"time_zone": "Nope/Nope"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == ""
    assert Membership.objects.filter(cohort=cohort, user=user).exists()


# ---- the profile page ----------------------------------------------------------------------


def test_the_profile_is_linked_from_the_navigation(client, agent):
    client.force_login(agent)
    page = client.get(reverse("agent-home")).content.decode()
    assert f'class="who" href="{reverse("profile")}"' in page


def test_every_page_names_the_readers_zone(client):
    client.force_login(UserFactory(time_zone="Asia/Tokyo"))
    page = client.get(reverse("agent-home")).content.decode()
    assert "Dates and times are shown in your time zone, Asia/Tokyo, JST" in page


def test_visitors_get_no_zone_note(client):
    assert "shown in your time zone" not in client.get(reverse("landing")).content.decode()


def test_the_profile_shows_the_current_zone_selected(client, settings):
    settings.TIME_ZONE = "UTC"
    user = UserFactory(time_zone="America/New_York")
    client.force_login(user)
    page = client.get(reverse("profile")).content.decode()
    assert '<option value="America/New_York" selected>' in page
    assert "data-browser-time-zone-hint" in page


def test_the_profile_of_a_user_without_a_zone_selects_the_site_zone(client, settings):
    settings.TIME_ZONE = "Europe/Paris"
    client.force_login(UserFactory(time_zone=""))
    page = client.get(reverse("profile")).content.decode()
    assert '<option value="Europe/Paris" selected>' in page


def test_the_profile_keeps_a_zone_the_list_leaves_out(client):
    client.force_login(UserFactory(time_zone="Etc/UTC"))
    page = client.get(reverse("profile")).content.decode()
    assert '<option value="Etc/UTC" selected>' in page


def test_changing_the_zone_changes_every_date_shown(client):
    user = UserFactory(full_name="Ana", time_zone="")
    client.force_login(user)
    response = client.post(
        reverse("profile"), {"full_name": "Ana Alvarez", "time_zone": "Asia/Tokyo"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.time_zone) == ("Ana Alvarez", "Asia/Tokyo")
    page = client.get(reverse("profile")).content.decode()
    assert "Your profile was saved." in page
    assert " JST" in page  # "Now it is … JST in your zone."


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../../etc/passwd"])
def test_the_profile_refuses_an_unknown_zone_and_keeps_what_was_typed(client, zone):
    user = UserFactory(full_name="Ana", time_zone="Europe/Berlin")
    client.force_login(user)
    response = client.post(reverse("profile"), {"full_name": "Ana Typed", "time_zone": zone})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert 'value="Ana Typed"' in page
    user.refresh_from_db()
    assert (user.full_name, user.time_zone) == ("Ana", "Europe/Berlin")


def test_the_profile_refuses_an_empty_name(client):
    user = UserFactory(full_name="Ana", time_zone="Europe/Berlin")
    client.force_login(user)
    response = client.post(reverse("profile"), {"full_name": "   ", "time_zone": "UTC"})
    assert response.status_code == 400
    assert "Enter the name your trainer knows you by." in response.content.decode()


def test_the_profile_needs_a_login(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_profile_service_refuses_an_unknown_zone():
    from django.core.exceptions import ValidationError

    user = UserFactory(time_zone="Europe/Berlin")
    with pytest.raises(ValidationError) as caught:
        services.user_profile_update(user=user, full_name="Ana", time_zone="Nope/Nope")
    assert "time_zone" in caught.value.message_dict
    user.refresh_from_db()
    assert user.time_zone == "Europe/Berlin"


# ---- the invitation email ------------------------------------------------------------------


def _expiry_in_ten_days() -> datetime:
    return (timezone.now() + timedelta(days=10)).replace(hour=4, minute=30, second=0)


def test_the_invitation_email_gives_its_date_in_the_inviting_trainers_zone(cohort, settings):
    settings.TIME_ZONE = "UTC"
    trainer = TrainerFactory(time_zone="America/New_York")
    expires_at = _expiry_in_ten_days()
    invitation = InvitationFactory(cohort=cohort, invited_by=trainer, expires_at=expires_at)
    mail.outbox.clear()
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):  # the sender's zone is not used
        assert services.invitation_send(invitation_id=invitation.pk) is True
    shown = format_when(expires_at, zone=zoneinfo.ZoneInfo("America/New_York"))
    assert shown.endswith(("23:30 EST", "00:30 EDT", "23:30 EDT", "00:30 EST"))
    assert f"The link works until {shown} and only for" in mail.outbox[-1].body


def test_the_invitation_email_uses_the_invitees_zone_when_they_have_an_account(cohort, trainer):
    UserFactory(email="known@example.com", time_zone="Europe/Berlin")
    expires_at = _expiry_in_ten_days()
    invitation = InvitationFactory(
        cohort=cohort, email="known@example.com", invited_by=trainer, expires_at=expires_at
    )
    mail.outbox.clear()
    assert services.invitation_send(invitation_id=invitation.pk) is True
    shown = format_when(expires_at, zone=zoneinfo.ZoneInfo("Europe/Berlin"))
    assert shown.endswith(("05:30 CET", "06:30 CEST"))
    assert f"The link works until {shown} and only for" in mail.outbox[-1].body
