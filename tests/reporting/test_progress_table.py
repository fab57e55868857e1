"""The progress page's agent table: sorted and filtered on the server (plain links and a
GET form), bad parameters fall back to the defaults; the cohort page links to the console."""

import pytest
from django.urls import reverse

from reporting import progress
from tests.factories import MembershipFactory, UserFactory
from tests.grading.console.conftest import graded_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def agents(console_cohort, exercise):
    made = {}
    for name, email, points in (
        ("Zoe Zeta", "zoe@example.com", {"accuracy": 3, "empathy": 3}),
        ("Adam Alpha", "adam@example.com", {"accuracy": 0, "empathy": 1}),
        ("Mia Middle", "mia@example.com", None),
    ):
        user = UserFactory(full_name=name, email=email)
        MembershipFactory(cohort=console_cohort, user=user)
        if points:
            graded_submission(user, exercise, points)
        made[name] = user
    return made


def _order(body: str) -> list[str]:
    table = body.split('id="agent-table"')[1].split("</table>")[0]
    found = [(table.index(n), n) for n in ("Zoe Zeta", "Adam Alpha", "Mia Middle") if n in table]
    return [n for _, n in sorted(found)]


def _get(client, cohort, **params):
    url = reverse("grading:console-progress", args=[cohort.slug])
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_agents_are_sorted_by_name_by_default(client, trainer, console_cohort, agents):
    client.force_login(trainer)
    assert _order(_get(client, console_cohort)) == ["Adam Alpha", "Mia Middle", "Zoe Zeta"]


def test_sorting_by_average_both_ways(client, trainer, console_cohort, agents):
    client.force_login(trainer)
    body = _get(client, console_cohort, sort="-average")
    assert _order(body) == ["Zoe Zeta", "Adam Alpha", "Mia Middle"]  # ungraded last
    assert 'aria-sort="descending"' in body
    # The header link toggles the direction.
    assert "sort=average" in body.split('aria-sort="descending"')[1][:200]
    assert _order(_get(client, console_cohort, sort="average")) == [
        "Mia Middle",
        "Adam Alpha",
        "Zoe Zeta",
    ]


def test_filtering_by_name_or_email_and_status(client, trainer, console_cohort, agents):
    client.force_login(trainer)
    body = _get(client, console_cohort, q="ZOE@")
    assert _order(body) == ["Zoe Zeta"]
    assert "1 of 3 agents shown." in body
    body = _get(client, console_cohort, q="nobody")
    assert _order(body) == [] and "No agent matches." in body


@pytest.mark.parametrize(
    "params",
    [{"sort": "password"}, {"sort": "--name"}, {"status": "<script>"}, {"q": "x" * 5000}],
)
def test_bad_parameters_fall_back_to_the_defaults(client, trainer, console_cohort, agents, params):
    client.force_login(trainer)
    body = _get(client, console_cohort, **params)
    assert "<script>" not in body.split('id="agent-filter"')[1][:3000]
    if "q" not in params:
        assert _order(body) == ["Adam Alpha", "Mia Middle", "Zoe Zeta"]


def test_the_table_query_parses_and_toggles():
    query = progress.AgentTableQuery.from_params({"sort": "-completion", "status": "behind"})
    assert (query.key, query.descending, query.status) == ("completion", True, "behind")
    assert query.sort_link("completion") == "completion"
    assert progress.AgentTableQuery.from_params({"sort": "average"}).sort_link("average") == (
        "-average"
    )
    assert progress.AgentTableQuery.from_params({}).sort == "name"


def test_the_progress_page_reads_the_same_queries_sorted_and_filtered(
    client, trainer, console_cohort, agents, exercise, django_assert_num_queries
):
    client.force_login(trainer)
    url = reverse("grading:console-progress", args=[console_cohort.slug])
    plain = client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as base:
        client.get(url)
    with django_assert_num_queries(len(base.captured_queries)):
        client.get(url, {"sort": "-mastered", "status": "on_track", "q": "a"})
    for _ in range(5):
        agent = UserFactory()
        MembershipFactory(cohort=console_cohort, user=agent)
        graded_submission(agent, exercise, {"accuracy": 1, "empathy": 2})
    with django_assert_num_queries(len(base.captured_queries)):
        client.get(url, {"sort": "-mastered", "status": "on_track", "q": "a"})
    assert plain.status_code == 200


def test_the_cohort_page_links_to_the_console_and_impact(client, trainer, console_cohort):
    client.force_login(trainer)
    body = client.get(reverse("cohorts:detail", args=[console_cohort.slug])).content.decode()
    links = body.split('id="cohort-links"')[1].split("</nav>")[0]
    slug = console_cohort.slug
    for url in (
        reverse("grading:console-progress", args=[slug]),
        reverse("grading:console-queue") + f"?cohort={slug}",
        reverse("grading:console-settings", args=[slug]),
        reverse("grading:console-held", args=[slug]),
        reverse("impact:cohort-settings", args=[slug]),
    ):
        assert f'href="{url}"' in links
    for url in (
        reverse("grading:console-progress", args=[slug]),
        reverse("impact:cohort-settings", args=[slug]),
    ):
        assert client.get(url).status_code == 200
