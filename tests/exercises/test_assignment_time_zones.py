"""A due date is an instant: a trainer in New York and an agent in Berlin (or Tokyo) see the
same moment, each in their own zone, on their pages and in their emails."""

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from exercises import assignments
from exercises.models import Assignment
from tests.factories import AssignmentFactory, MembershipFactory, TrainerFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# 17:00 in New York on 15 January 2030 (EST, UTC-5) is 22:00 UTC.
DUE_TYPED = "2030-01-15T17:00"
DUE = datetime(2030, 1, 15, 17, 0, tzinfo=NEW_YORK)


@pytest.fixture
def new_york_trainer(cohort):
    trainer = TrainerFactory(time_zone="America/New_York")
    cohort.trainers.add(trainer)
    return trainer


@pytest.fixture
def berlin_agent(cohort):
    return MembershipFactory(cohort=cohort, user=UserFactory(time_zone="Europe/Berlin")).user


@pytest.fixture
def tokyo_agent(cohort):
    return MembershipFactory(cohort=cohort, user=UserFactory(time_zone="Asia/Tokyo")).user


def _assign(client, cohort, trainer, module, due=DUE_TYPED):
    client.force_login(trainer)
    opens = timezone.localtime(timezone.now(), NEW_YORK).strftime("%Y-%m-%dT%H:%M")
    return client.post(
        reverse("exercises:assignment-create", args=[cohort.slug]),
        {"target": f"module:{module.pk}", "opens_at": opens, "due_at": due},
    )


def test_a_trainer_in_new_york_and_an_agent_in_berlin_see_the_same_due_date(
    client, cohort, new_york_trainer, berlin_agent, tokyo_agent, tone_exercise
):
    response = _assign(client, cohort, new_york_trainer, tone_exercise.module)
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    # The trainer typed 17:00 in their own zone: that instant is stored (22:00 UTC).
    assert assignment.due_at == DUE
    assert assignment.due_at.astimezone(zoneinfo.ZoneInfo("UTC")).hour == 22

    trainer_page = client.get(reverse("cohorts:detail", args=[cohort.slug])).content.decode()
    assert "15 Jan 2030, 17:00 EST" in trainer_page

    client.force_login(berlin_agent)
    berlin_page = client.get(reverse("agent-home")).content.decode()
    assert "15 Jan 2030, 23:00 CET" in berlin_page
    assert 'datetime="2030-01-15T23:00:00+01:00"' in berlin_page

    client.force_login(tokyo_agent)
    tokyo_page = client.get(reverse("agent-home")).content.decode()
    assert "16 Jan 2030, 07:00 JST" in tokyo_page  # the next day there, the same moment


def test_the_edit_form_shows_the_due_date_in_the_editing_trainers_zone(
    client, cohort, new_york_trainer
):
    assignment = AssignmentFactory(cohort=cohort, due_at=DUE)
    url = reverse("exercises:assignment-edit", args=[cohort.slug, assignment.pk])
    client.force_login(new_york_trainer)
    page = client.get(url).content.decode()
    assert 'value="2030-01-15T17:00"' in page
    assert "America/New_York, E" in page  # "Times are in your time zone, America/New_York, EST"

    co_trainer = TrainerFactory(time_zone="Europe/Berlin")
    cohort.trainers.add(co_trainer)
    client.force_login(co_trainer)
    assert 'value="2030-01-15T23:00"' in client.get(url).content.decode()
    # Saving the unchanged form keeps the same instant.
    response = client.post(
        url,
        {
            "opens_at": timezone.localtime(
                assignment.opens_at, zoneinfo.ZoneInfo("Europe/Berlin")
            ).strftime("%Y-%m-%dT%H:%M"),
            "due_at": "2030-01-15T23:00",
        },
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.due_at == DUE


def test_a_time_that_does_not_exist_in_the_trainers_zone_is_refused(
    client, cohort, new_york_trainer, tone_exercise
):
    # Clocks in New York jump from 02:00 to 03:00 on 10 March 2030: 02:30 never happens.
    response = _assign(client, cohort, new_york_trainer, tone_exercise.module, "2030-03-10T02:30")
    assert response.status_code == 400
    page = response.content.decode()
    assert "America/New_York" in page and "may not exist" in page
    assert 'value="2030-03-10T02:30"' in page  # what was typed is kept
    assert not Assignment.objects.exists()


def test_each_agent_is_emailed_the_due_date_in_their_own_zone(
    cohort, new_york_trainer, berlin_agent, tokyo_agent
):
    assignment = AssignmentFactory(cohort=cohort, due_at=DUE)
    mail.outbox.clear()
    with timezone.override(NEW_YORK):  # the task's zone does not leak into the emails
        assert assignments.assignment_notify(assignment_id=assignment.pk) == 2
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "Due:   15 Jan 2030, 23:00 CET" in bodies[berlin_agent.email]
    assert "Due:   16 Jan 2030, 07:00 JST" in bodies[tokyo_agent.email]


def test_the_reminder_names_the_due_time_in_each_agents_zone(
    cohort, berlin_agent, tokyo_agent, tone_exercise, settings
):
    settings.TIME_ZONE = "UTC"
    assignment = AssignmentFactory(cohort=cohort, module=tone_exercise.module, due_at=DUE)
    mail.outbox.clear()
    assert (
        assignments.assignment_remind(assignment_id=assignment.pk, now=DUE - timedelta(hours=20))
        == 2
    )
    by_agent = {m.to[0]: m for m in mail.outbox}
    berlin = by_agent[berlin_agent.email]
    assert berlin.subject.startswith("Due 15 Jan 2030, 23:00 CET: ")
    assert "is due 15 Jan 2030, 23:00 CET" in berlin.body
    assert by_agent[tokyo_agent.email].subject.startswith("Due 16 Jan 2030, 07:00 JST: ")


def test_an_agent_without_a_zone_is_emailed_in_the_site_zone(cohort, settings):
    settings.TIME_ZONE = "UTC"
    agent = MembershipFactory(cohort=cohort, user=UserFactory(time_zone="")).user
    assignment = AssignmentFactory(cohort=cohort, due_at=DUE)
    mail.outbox.clear()
    assignments.assignment_notify(assignment_id=assignment.pk)
    assert mail.outbox[0].to == [agent.email]
    assert "Due:   15 Jan 2030, 22:00 UTC" in mail.outbox[0].body
