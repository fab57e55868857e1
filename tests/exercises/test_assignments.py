"""Assignments: set from the cohort page, announced by email after commit, reminded once a
day before they are due, and shown on the agent's home with due and overdue work first."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curriculum.services import demo_seed
from exercises import assignments
from exercises.assignments import Target
from exercises.errors import AssignmentValidationError
from exercises.models import Assignment
from tests.factories import (
    AssignmentFactory,
    CohortFactory,
    MembershipFactory,
    SubmissionFactory,
    TrainerFactory,
    UserFactory,
    exercise_with_scenarios,
)

pytestmark = pytest.mark.django_db


def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def agents(cohort):
    return [
        MembershipFactory(cohort=cohort, user=UserFactory(email=f"crew{n}@example.com")).user
        for n in range(3)
    ]


# ---- creating, announcing -------------------------------------------------------------------


def test_assigning_a_module_emails_every_agent_after_commit(
    client, cohort, trainer, agents, tone_exercise, django_capture_on_commit_callbacks
):
    module = tone_exercise.module
    now = timezone.now()
    client.force_login(trainer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("exercises:assignment-create", args=[cohort.slug]),
            {
                "target": f"module:{module.pk}",
                "opens_at": _local(now),
                "due_at": _local(now + timedelta(days=7)),
            },
        )
    assert response["Location"] == reverse("cohorts:detail", args=[cohort.slug])
    assert len(callbacks) == 1
    assignment = Assignment.objects.get()
    assert (assignment.module, assignment.created_by) == (module, trainer)
    assert assignment.notified_at is not None
    assert assignment.reminded_at is None
    assert sorted(m.to[0] for m in mail.outbox) == sorted(a.email for a in agents)
    message = mail.outbox[0]
    assert module.title in message.subject and cohort.name in message.subject
    assert django_settings.SITE_URL in message.body
    assert reverse("curriculum:module-detail", args=[module.slug]) in message.body


def test_no_email_leaves_before_the_assignment_commits(
    cohort, trainer, agents, tone_exercise, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assignments.assignment_create(
            cohort=cohort,
            target=Target(module=tone_exercise.module),
            opens_at=timezone.now(),
            due_at=timezone.now() + timedelta(days=3),
            created_by=trainer,
        )
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_the_notice_goes_out_once_even_if_the_task_runs_twice(cohort, agents):
    assignment = AssignmentFactory(cohort=cohort)
    assert assignments.assignment_notify(assignment_id=assignment.pk) == 3
    assert assignments.assignment_notify(assignment_id=assignment.pk) == 0
    assert len(mail.outbox) == 3


def test_a_failed_send_releases_the_claim_for_the_retry(cohort, agents, monkeypatch):
    assignment = AssignmentFactory(cohort=cohort)

    def down(**kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(assignments, "send_templated_mails", down)
    with pytest.raises(ConnectionRefusedError):
        assignments.assignment_notify(assignment_id=assignment.pk)
    assignment.refresh_from_db()
    assert assignment.notified_at is None


def test_a_mail_outage_never_breaks_the_page_in_eager_mode(
    client, cohort, trainer, agents, tone_exercise, monkeypatch, django_capture_on_commit_callbacks
):
    def down(**kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(assignments, "send_templated_mails", down)
    now = timezone.now()
    client.force_login(trainer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("exercises:assignment-create", args=[cohort.slug]),
            {
                "target": f"module:{tone_exercise.module.pk}",
                "opens_at": _local(now),
                "due_at": _local(now + timedelta(days=2)),
            },
        )
    assert response.status_code == 302
    assert Assignment.objects.get().notified_at is None  # the cohort page says so


def test_a_single_scenario_is_assigned_from_its_exercise(cohort, trainer, tone_exercise):
    link = tone_exercise.scenario_links.first()
    assignment = assignments.assignment_create(
        cohort=cohort,
        target=Target(exercise=tone_exercise, scenario=link.scenario),
        opens_at=timezone.now(),
        due_at=timezone.now() + timedelta(days=1),
        created_by=trainer,
        notify=False,
    )
    assert assignment.module is None and assignment.scenario == link.scenario


def test_a_scenario_of_another_exercise_is_refused(cohort, trainer, tone_exercise, make_exercise):
    foreign = make_exercise("audit").scenario_links.first().scenario
    with pytest.raises(AssignmentValidationError, match="not a scenario of"):
        assignments.assignment_create(
            cohort=cohort,
            target=Target(exercise=tone_exercise, scenario=foreign),
            opens_at=timezone.now(),
            due_at=timezone.now() + timedelta(days=1),
            created_by=trainer,
        )


def test_archived_cohorts_get_no_new_work(cohort, trainer, tone_exercise):
    cohort.archived_at = timezone.now()
    cohort.save(update_fields=["archived_at"])
    with pytest.raises(AssignmentValidationError, match="archived"):
        assignments.assignment_create(
            cohort=cohort,
            target=Target(module=tone_exercise.module),
            opens_at=timezone.now(),
            due_at=timezone.now() + timedelta(days=1),
            created_by=trainer,
        )


def test_bad_dates_keep_what_was_typed(client, cohort, trainer, tone_exercise):
    now = timezone.now()
    client.force_login(trainer)
    target = f"module:{tone_exercise.module.pk}"
    response = client.post(
        reverse("exercises:assignment-create", args=[cohort.slug]),
        {"target": target, "opens_at": _local(now + timedelta(days=2)), "due_at": _local(now)},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "must come after the open date" in content
    assert f'value="{target}" selected' in content
    assert _local(now + timedelta(days=2)) in content
    assert not Assignment.objects.exists()


def test_the_form_offers_modules_and_scenarios(client, cohort, trainer, tone_exercise):
    client.force_login(trainer)
    content = client.get(reverse("exercises:assignment-create", args=[cohort.slug])).content
    content = content.decode()
    assert "Whole modules" in content
    assert tone_exercise.module.title in content
    for link in tone_exercise.scenario_links.all():
        assert f"scenario:{tone_exercise.pk}:{link.scenario_id}" in content


def test_moving_the_due_date_brings_a_new_reminder(client, cohort, trainer):
    assignment = AssignmentFactory(cohort=cohort, reminded_at=timezone.now())
    due = assignment.due_at + timedelta(days=3)
    client.force_login(trainer)
    client.post(
        reverse("exercises:assignment-edit", args=[cohort.slug, assignment.pk]),
        {"opens_at": _local(assignment.opens_at), "due_at": _local(due)},
    )
    assignment.refresh_from_db()
    assert _local(assignment.due_at) == _local(due)
    assert assignment.reminded_at is None


def test_deleting_an_assignment(client, cohort, trainer):
    assignment = AssignmentFactory(cohort=cohort)
    client.force_login(trainer)
    client.post(reverse("exercises:assignment-delete", args=[cohort.slug, assignment.pk]))
    assert not Assignment.objects.exists()


def test_another_cohorts_assignment_is_404_through_your_cohort(client, cohort, trainer):
    theirs = AssignmentFactory(cohort=CohortFactory(trainers=[TrainerFactory()]))
    client.force_login(trainer)
    for name in ("exercises:assignment-edit", "exercises:assignment-delete"):
        assert client.post(reverse(name, args=[cohort.slug, theirs.pk])).status_code == 404
    assert Assignment.objects.filter(pk=theirs.pk).exists()


def test_the_cohort_page_lists_the_assignments(client, cohort, trainer, tone_exercise):
    AssignmentFactory(cohort=cohort, module=tone_exercise.module)
    client.force_login(trainer)
    content = client.get(reverse("cohorts:detail", args=[cohort.slug])).content.decode()
    assert "Assignments" in content
    assert tone_exercise.module.title in content


# ---- reminders ------------------------------------------------------------------------------


def test_reminders_go_to_unfinished_agents_a_day_before_and_only_once(
    cohort, agents, tone_exercise
):
    now = timezone.now()
    first = tone_exercise.scenario_links.order_by("order").first().scenario
    soon = AssignmentFactory(
        cohort=cohort,
        module=None,
        exercise=tone_exercise,
        scenario=first,
        due_at=now + timedelta(hours=20),
    )
    AssignmentFactory(cohort=cohort, module=tone_exercise.module, due_at=now + timedelta(days=3))
    SubmissionFactory(user=agents[0], exercise=tone_exercise, scenario=first)

    assert assignments.assignment_reminders_send(now=now) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(a.email for a in agents[1:])
    assert "Due" in mail.outbox[0].subject
    soon.refresh_from_db()
    assert soon.reminded_at is not None

    assert assignments.assignment_reminders_send(now=now + timedelta(minutes=15)) == 0
    assert len(mail.outbox) == 2


def test_no_reminders_for_archived_cohorts_unopened_or_past_work(cohort, agents):
    now = timezone.now()
    AssignmentFactory(cohort=cohort, due_at=now - timedelta(hours=1), opens_at=now - timedelta(2))
    AssignmentFactory(
        cohort=cohort, opens_at=now + timedelta(hours=1), due_at=now + timedelta(hours=5)
    )
    archived = CohortFactory(archived_at=now)
    MembershipFactory(cohort=archived)
    AssignmentFactory(cohort=archived, due_at=now + timedelta(hours=5))
    assert assignments.assignments_due_for_reminder(now=now) == []


def test_work_set_within_a_day_of_its_due_date_gets_no_separate_reminder(
    cohort, agents, tone_exercise
):
    assignment = AssignmentFactory(
        cohort=cohort, module=tone_exercise.module, due_at=timezone.now() + timedelta(hours=6)
    )
    assert assignments.assignment_notify(assignment_id=assignment.pk) == 3
    assignment.refresh_from_db()
    assert assignment.reminded_at is not None
    assert assignments.assignment_reminders_send() == 0
    assert len(mail.outbox) == 3


def test_the_beat_task_is_scheduled_and_runs(cohort, agents, tone_exercise):
    entry = django_settings.CELERY_BEAT_SCHEDULE["assignment-due-reminders"]
    assert entry["task"] == "exercises.tasks.assignment_reminders_task"
    from exercises.tasks import assignment_reminders_task

    AssignmentFactory(
        cohort=cohort, module=tone_exercise.module, due_at=timezone.now() + timedelta(hours=2)
    )
    assert assignment_reminders_task.delay().get() == 3
    assert assignment_reminders_task.delay().get() == 0


# ---- the agent's home -----------------------------------------------------------------------


def test_the_agent_home_shows_due_dates_overdue_work_and_what_is_next(
    client, cohort, member, make_exercise
):
    now = timezone.now()
    tone, audit = make_exercise("tone"), make_exercise("audit")
    overdue_scenario = audit.scenario_links.order_by("order").first().scenario
    AssignmentFactory(cohort=cohort, module=tone.module, due_at=now + timedelta(days=5))
    AssignmentFactory(
        cohort=cohort,
        module=None,
        exercise=audit,
        scenario=overdue_scenario,
        opens_at=now - timedelta(days=5),
        due_at=now - timedelta(days=1),
    )
    AssignmentFactory(
        cohort=cohort,
        module=make_exercise("context").module,
        opens_at=now + timedelta(days=2),
        due_at=now + timedelta(days=9),
    )
    client.force_login(member)
    response = client.get(reverse("agent-home"))
    content = response.content.decode()
    overview = response.context["overview"]
    assert [a.is_overdue for a in overview.assignments] == [True, False, False]
    assert [a.is_open for a in overview.assignments] == [True, True, False]
    assert "Assigned to you" in content
    assert "Overdue" in content
    assert "Not open yet" in content and "Opens " in content
    # What to do next is the work due first: the overdue scenario.
    next_url = reverse("exercises:workspace", args=[audit.slug, overdue_scenario.slug])
    assert f'href="{next_url}" data-next-step' in content
    assert "Due dates appear here once" not in content


def test_finished_work_moves_out_of_what_is_next(client, cohort, member, tone_exercise):
    now = timezone.now()
    first, second = (link.scenario for link in tone_exercise.scenario_links.order_by("order"))
    AssignmentFactory(
        cohort=cohort,
        module=None,
        exercise=tone_exercise,
        scenario=first,
        due_at=now + timedelta(days=1),
    )
    AssignmentFactory(cohort=cohort, module=tone_exercise.module, due_at=now + timedelta(days=2))
    SubmissionFactory(user=member, exercise=tone_exercise, scenario=first)
    client.force_login(member)
    response = client.get(reverse("agent-home"))
    first_item, module_item = response.context["overview"].assignments
    assert first_item.is_done and not module_item.is_done
    assert (module_item.submitted, module_item.total) == (1, 2)
    assert response.context["overview"].next_assignment is module_item
    next_url = reverse("exercises:workspace", args=[tone_exercise.slug, second.slug])
    assert f'href="{next_url}" data-next-step' in response.content.decode()


def test_agents_never_see_another_cohorts_assignments(client, member, tone_exercise):
    AssignmentFactory(cohort=CohortFactory(), module=tone_exercise.module)
    client.force_login(member)
    assert client.get(reverse("agent-home")).context["overview"].assignments == []


def test_the_agent_home_queries_do_not_grow_with_assignments(
    client, cohort, member, make_exercise, django_assert_num_queries
):
    exercises = [make_exercise(kind) for kind in ("tone", "audit", "context")]
    AssignmentFactory(cohort=cohort, module=exercises[0].module)
    first_link = exercises[0].scenario_links.first()

    def submit(exercise, scenario):
        SubmissionFactory(
            user=member,
            exercise=exercise,
            scenario=scenario,
            answer={"reply": "x"},
            edit_class="light",
        )

    # The baseline has one submission: pages that show grades skip their grade queries
    # when there is nothing to grade, and that difference is not growth.
    submit(exercises[0], first_link.scenario)
    client.force_login(member)
    url = reverse("agent-home")
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    for exercise in exercises:
        if exercise != exercises[0]:  # its module is assigned already (once per cohort)
            AssignmentFactory(cohort=cohort, module=exercise.module)
        for link in exercise.scenario_links.all():
            AssignmentFactory(cohort=cohort, module=None, exercise=exercise, scenario=link.scenario)
            if link != first_link:
                submit(exercise, link.scenario)
    with django_assert_num_queries(len(captured)):
        response = client.get(url)
    assert len(response.context["overview"].assignments) == 8


# ---- the demo -------------------------------------------------------------------------------


def test_the_demo_seed_assigns_a_module_and_an_overdue_scenario_once():
    exercise_with_scenarios(type="tone", scenarios=[assignments.DEMO_OVERDUE_SCENARIO])
    seed = demo_seed()
    demo_seed()
    demo = list(Assignment.objects.filter(cohort=seed.cohort).order_by("due_at"))
    assert len(demo) == 2
    assert demo[0].scenario.slug == assignments.DEMO_OVERDUE_SCENARIO
    assert demo[0].due_at < timezone.now() < demo[1].due_at
    assert mail.outbox == []


def test_the_demo_seed_skips_assignments_without_content():
    seed = demo_seed()
    assert not Assignment.objects.filter(cohort=seed.cohort).exists()


# ---- the same work once per cohort ----------------------------------------------------------


def test_the_same_module_cannot_be_assigned_twice(
    client, cohort, trainer, agents, tone_exercise, django_capture_on_commit_callbacks
):
    module = tone_exercise.module
    now = timezone.now()
    form = {
        "target": f"module:{module.pk}",
        "opens_at": _local(now),
        "due_at": _local(now + timedelta(days=7)),
    }
    client.force_login(trainer)
    url = reverse("exercises:assignment-create", args=[cohort.slug])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, form).status_code == 302
        response = client.post(url, {**form, "due_at": _local(now + timedelta(days=9))})
    assert response.status_code == 400
    assert "is already assigned to" in response.content.decode()
    assert Assignment.objects.count() == 1
    assert len(mail.outbox) == len(agents)  # one email each, not two


def test_the_same_scenario_cannot_be_assigned_twice_but_another_cohort_may(
    cohort, trainer, tone_exercise
):
    scenario = tone_exercise.scenarios.first()
    target = Target(exercise=tone_exercise, scenario=scenario)
    now = timezone.now()
    dates = {"opens_at": now, "due_at": now + timedelta(days=2), "created_by": trainer}
    assignments.assignment_create(cohort=cohort, target=target, notify=False, **dates)
    with pytest.raises(AssignmentValidationError, match="already assigned"):
        assignments.assignment_create(cohort=cohort, target=target, notify=False, **dates)
    other = CohortFactory(trainers=[trainer])
    assignments.assignment_create(cohort=other, target=target, notify=False, **dates)
    # The module and one of its scenarios are different work.
    assignments.assignment_create(
        cohort=cohort, target=Target(module=tone_exercise.module), notify=False, **dates
    )
    assert Assignment.objects.count() == 3


def test_the_database_refuses_a_twin_behind_the_service(cohort, trainer, tone_exercise):
    from django.db import IntegrityError, transaction

    AssignmentFactory(cohort=cohort, module=tone_exercise.module)
    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentFactory(cohort=cohort, module=tone_exercise.module)
