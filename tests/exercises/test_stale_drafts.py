"""Drafts left pending by a stopped worker are failed with a message, not waited on forever."""

from datetime import timedelta

import pytest
from django.utils import timezone

from exercises import services
from exercises.models import DraftRequest
from tests.factories import DraftRequestFactory

pytestmark = pytest.mark.django_db


def pending(age: timedelta) -> DraftRequest:
    draft = DraftRequestFactory(status=DraftRequest.Status.PENDING, source="", text="")
    DraftRequest.objects.filter(pk=draft.pk).update(created_at=timezone.now() - age)
    return draft


def test_stale_pending_drafts_fail_with_a_message():
    stale = pending(timedelta(minutes=30))
    fresh = pending(timedelta(seconds=10))
    done = DraftRequestFactory()
    DraftRequest.objects.filter(pk=done.pk).update(created_at=timezone.now() - timedelta(days=1))

    assert services.draft_request_expire_stale() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    done.refresh_from_db()
    assert stale.status == DraftRequest.Status.FAILED
    assert "Everything you typed is saved" in stale.error
    assert fresh.status == DraftRequest.Status.PENDING
    assert done.status == DraftRequest.Status.DONE


def test_the_beat_task_runs_the_sweep():
    from exercises.tasks import draft_expire_stale_task

    pending(timedelta(hours=1))
    assert draft_expire_stale_task.apply().get() == 1
