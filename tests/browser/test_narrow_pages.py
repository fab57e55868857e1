"""Every page a trainer, an agent and a support leader use day to day fits a 390 px phone
without sideways scrolling of the page (wide tables scroll inside their own box). The
workspace, queue and review page are also checked at 400% zoom (test_accessibility.py)."""

import pytest
from django.urls import reverse

from tests.browser.test_accessibility import (
    _assert_no_sideways_scroll,
    _flagged_submission,
    _signed_in,
    offline,  # noqa: F401 - a fixture
)
from tests.factories import (
    CohortImpactFactory,
    LessonFactory,
    SupportLeaderFactory,
    TicketMetricFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 390, "height": 844}}


def _visit_all(browser, live_server, user, urls):
    context, csp, page = _signed_in(browser, live_server, user, **PHONE)
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, url
        _assert_no_sideways_scroll(page, url)
    context.close()
    assert csp == []


def test_the_trainers_agents_and_leaders_pages_fit_a_phone(browser, live_server, offline):  # noqa: F811
    trainer, agent, exercise, submission = _flagged_submission()
    lesson = LessonFactory(module=exercise.module)
    cohort = trainer.trained_cohorts.get()
    slug = cohort.slug
    _visit_all(
        browser,
        live_server,
        trainer,
        [
            reverse("trainer-home"),
            reverse("cohorts:list"),
            reverse("cohorts:detail", args=[slug]),
            reverse("grading:console-progress", args=[slug]),
            reverse("grading:console-held", args=[slug]),
            reverse("grading:console-settings", args=[slug]),
            reverse("grading:console-trainer-calibration-list", args=[slug]),
            reverse("grading:console-calibration-inbox"),
            reverse("grading:prompt-library"),
            reverse("studio:kb"),
            reverse("authoring:home"),
            "/profile/",
        ],
    )
    _visit_all(
        browser,
        live_server,
        agent,
        [
            reverse("agent-home"),
            "/modules/",
            reverse("curriculum:module-detail", args=[exercise.module.slug]),
            reverse("curriculum:lesson-detail", args=[exercise.module.slug, lesson.slug]),
            reverse("exercises:exercise-detail", args=[exercise.slug]),
            reverse("exercises:submission-list"),
            reverse("exercises:submission-detail", args=[submission.pk]),
            reverse("grading:peer-home"),
            reverse("grading:examples"),
            reverse("exercises:prompt-library"),
        ],
    )
    leader = SupportLeaderFactory()
    CohortImpactFactory(cohort=cohort, leaders=[leader])
    TicketMetricFactory.create_batch(5, agent=agent)
    _visit_all(
        browser,
        live_server,
        leader,
        [reverse("impact:home"), reverse("impact:cohort-dashboard", args=[slug])],
    )
