"""The benchmark_scale sections of this part (peer queue, ticket import): they return their
figures and leave no data behind. Timings are printed by the command, never asserted."""

import pytest
from django.db import connection

from curriculum.models import Cohort, User
from exercises.models import Submission
from grading.models import PeerQueueEntry, PeerReview
from reporting.benchmarks import peer, tickets
from reporting.impact.models import ImportJob, TicketMetric


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Cohort, Submission, PeerQueueEntry, PeerReview, TicketMetric,
                      ImportJob)
    }  # fmt: skip


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_peer_section_counts_over_assignments_and_cleans_up(postgres_db, settings):
    from grading.content.loading import content_check_directory, content_load

    bundle, errors = content_check_directory(path=settings.CONTENT_DIR)
    assert not errors
    content_load(bundle=bundle)
    before = _counts()
    lines = []
    figures = peer.measure(agents=120, submissions=4, log=lines.append)
    assert [f.name for f in figures] == [
        "review next, 1 reviewer",
        "review next, 50 reviewers at once",
        "review next, over-assignments",
    ]
    assert figures[2].value == "0 (counters off: 0)" and figures[2].met is True
    assert "0 errors" in figures[1].value and figures[1].target == "p95 <= 50 ms"
    assert any("entries waiting" in line for line in lines)
    assert _counts() == before


@pytest.mark.postgres
def test_tickets_section_imports_every_row_and_cleans_up(postgres_db, settings, tmp_path):
    settings.IMPACT_IMPORT_ROOT = tmp_path / "imports"
    before = _counts()
    figures = tickets.measure(agents=5, submissions=0, log=lambda line: None, rows=3000)
    assert figures[0].name == "ticket import, 3,000 rows"
    assert "3,000 created, 0 rejected" in figures[0].value
    assert figures[1].name == "raw COPY of the same file (bound)"
    assert _counts() == before
    assert not list((tmp_path / "imports").glob("*.csv"))


def test_tickets_section_says_it_needs_postgresql(db):
    if connection.vendor == "postgresql":
        pytest.skip("this is the message of the other databases")
    (figure,) = tickets.measure(agents=5, submissions=0, log=lambda line: None)
    assert "need PostgreSQL" in figure.value and figure.met is None
