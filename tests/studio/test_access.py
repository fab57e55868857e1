"""Access rules of the studio's objects, every role against every object kind: drafts are
trainers' (and staff's) work; agents and support leaders neither see nor change them."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from curriculum import access
from exercises.models import CompanyProfile
from studio import selectors
from tests.factories import (
    CompanyProfileFactory,
    DraftFactFactory,
    SupportLeaderFactory,
    TrainerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROLES = {
    "agent": (UserFactory, False),
    "support_leader": (SupportLeaderFactory, False),
    "trainer": (TrainerFactory, True),
    "staff": (lambda: UserFactory(is_staff=True), True),
}


@pytest.mark.parametrize("role", ROLES)
def test_draft_facts_are_for_trainers_and_staff(role):
    make, allowed = ROLES[role]
    user, draft = make(), DraftFactFactory()
    assert access.can_view(user, draft) is allowed
    assert access.can_change(user, draft) is allowed
    if allowed:
        assert selectors.draft_get_for_change(user=user, draft_id=draft.pk) == draft
    else:
        with pytest.raises(PermissionDenied):
            selectors.draft_get_for_change(user=user, draft_id=draft.pk)


def test_a_missing_draft_is_not_found():
    with pytest.raises(Http404):
        selectors.draft_get_for_change(user=TrainerFactory(), draft_id=404)


@pytest.mark.parametrize("role", ROLES)
def test_the_company_is_published_content(role):
    make, is_trainer = ROLES[role]
    user, company = make(), CompanyProfileFactory()
    assert isinstance(company, CompanyProfile)
    assert access.can_view(user, company)
    assert access.can_change(user, company) is is_trainer
