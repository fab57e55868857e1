"""Who may see and change the calibration loop's rows: every role against each kind."""

import pytest

from curriculum import access
from grading.calibration import services
from grading.console.models import PeerDisputeDecision
from tests.factories import (
    SupportLeaderFactory,
    TrainerCalibrationEscalationFactory,
    TrainerFactory,
    UserFactory,
)

from .conftest import hand_in

pytestmark = pytest.mark.django_db

ROLES = [
    "author",
    "other_agent",
    "cohort_trainer",
    "co_trainer",
    "lead",
    "other_trainer",
    "staff",
    "support_leader",
]


@pytest.fixture
def world(session, trainer, co_trainer, lead, agent_in, tone_submission):
    flag = services.calibration_flag_create(
        trainer=trainer, submission_id=tone_submission.pk, kind="exemplary", criterion_key="",
        note="n",
    )  # fmt: skip
    hand_in(session, trainer, {"accuracy": "2", "empathy": "2"})
    hand_in(session, co_trainer, {"accuracy": "2", "empathy": "2"})
    item = session.items.get()
    comment = services.calibration_comment_add(trainer=co_trainer, item_id=item.pk, body="b")
    services.calibration_agreement_record(
        trainer=trainer, item_id=item.pk, scores={"accuracy": "2", "empathy": "2"}
    )
    published = services.calibration_example_publish(
        trainer=trainer, item_id=item.pk, kind="exemplary", criterion_key="", title="t",
        commentary="c", passages=[],
    )  # fmt: skip
    escalation = TrainerCalibrationEscalationFactory(item=item, raised_by=trainer, lead=lead)
    roles = {
        "author": agent_in,
        "other_agent": UserFactory(),
        "cohort_trainer": trainer,
        "co_trainer": co_trainer,
        "lead": lead,
        "other_trainer": TrainerFactory(),
        "staff": UserFactory(is_staff=True),
        "support_leader": SupportLeaderFactory(),
    }
    objects = {
        "flag": flag,
        "comment": comment,
        "agreement": item.agreements.first(),
        "escalation": escalation,
        "published": published,
    }
    return roles, objects


TRAINERS = {"cohort_trainer", "co_trainer", "lead", "staff"}
VIEW = {
    "flag": TRAINERS,
    "comment": {"cohort_trainer", "co_trainer", "lead", "staff"},
    "agreement": {"cohort_trainer", "co_trainer", "lead", "staff"},
    "escalation": {"cohort_trainer", "co_trainer", "lead", "staff"},
    # Published examples are for every signed-in user (anonymised on the page).
    "published": set(ROLES),
}
CHANGE = {
    "flag": TRAINERS,
    "comment": {"cohort_trainer", "co_trainer", "staff"},
    "agreement": {"cohort_trainer", "co_trainer", "staff"},
    "escalation": {"lead", "staff"},
    "published": TRAINERS,
}


@pytest.mark.parametrize("kind", list(VIEW))
@pytest.mark.parametrize("role", ROLES)
def test_who_sees_and_changes_the_calibration_loop(world, kind, role):
    roles, objects = world
    assert access.can_view(roles[role], objects[kind]) is (role in VIEW[kind])
    assert access.can_change(roles[role], objects[kind]) is (role in CHANGE[kind])


def test_a_withdrawn_example_is_for_trainers_only(world):
    roles, objects = world
    services.calibration_example_withdraw(
        trainer=roles["cohort_trainer"], published_id=objects["published"].pk
    )
    objects["published"].refresh_from_db()
    assert not access.can_view(roles["other_agent"], objects["published"])
    assert access.can_view(roles["cohort_trainer"], objects["published"])


def test_a_dispute_decision_is_seen_by_the_author_and_trainers_and_changed_by_nobody(
    agent_in, trainer, exercise
):
    from tests.factories import PeerDisputeDecisionFactory, PeerReviewFactory, SubmissionFactory

    review = PeerReviewFactory(
        submission=SubmissionFactory(user=agent_in, exercise=exercise), completed=True
    )
    decision = PeerDisputeDecisionFactory(review=review, trainer=trainer)
    assert isinstance(decision, PeerDisputeDecision)
    for user, sees in (
        (agent_in, True),
        (trainer, True),
        (review.reviewer, False),
        (TrainerFactory(), False),
    ):
        assert access.can_view(user, decision) is sees
        assert not access.can_change(user, decision)
