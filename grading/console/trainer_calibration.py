"""Reads of trainer calibration sessions: who a session can invite (what it can be made of
is in grading/calibration/selectors.py), the sessions a trainer takes part in, and one
session's page (each trainer's scores once all are in)."""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from curriculum.access import is_staff
from curriculum.models import Cohort, User

from ..peer.rubric import commentable_fields, criteria_of
from ..selectors import rubric_version_current
from .models import (
    TrainerCalibrationItem,
    TrainerCalibrationParticipant,
    TrainerCalibrationScore,
    TrainerCalibrationSession,
)


def trainer_calibration_co_trainers(*, cohort: Cohort, user: User) -> list[tuple[int, str]]:
    """The cohort's other trainers, whom a session can invite."""
    return [
        (t.pk, f"{t.display_name} ({t.email})")
        for t in cohort.trainers.exclude(pk=user.pk).order_by("email")
    ]


def trainer_calibration_sessions_for(*, cohort: Cohort, user: User):
    sessions = TrainerCalibrationSession.objects.filter(cohort=cohort).annotate(
        invited=Count("participants", distinct=True),
        handed_in=Count(
            "participants", filter=Q(participants__submitted_at__isnull=False), distinct=True
        ),
    )
    if not is_staff(user):
        sessions = sessions.filter(
            Q(created_by=user)
            | Q(participants__trainer=user)
            | Q(items__escalation__lead=user)  # a lead trainer asked to decide an item
        ).distinct()
    return list(sessions.select_related("created_by").order_by("-created_at"))


@dataclass
class TrainerCalibrationCriterion:
    key: str
    title: str
    levels: list[tuple[int, str]]
    value: str = ""
    name: str = ""  # the form field's name
    error: str = ""  # why the hand-in refused this score
    scores: list[tuple[str, int | None]] = field(default_factory=list)  # (trainer, points)

    @property
    def given(self) -> list[int]:
        return [p for _, p in self.scores if p is not None]

    @property
    def applicability_split(self) -> bool:
        """Some trainers scored the criterion, others said it does not apply: that is
        disagreement, not a spread of 0 ("1 vs n/a")."""
        return bool(self.given) and any(p is None for _, p in self.scores)

    @property
    def spread(self) -> int | None:
        """max - min of the points given; None when nobody scored it or when trainers
        disagree on whether it applies (see `applicability_split`)."""
        if not self.given or self.applicability_split:
            return None
        return max(self.given) - min(self.given)

    @property
    def disagrees(self) -> bool:
        return self.applicability_split or (self.spread or 0) > 1

    @property
    def stdev(self) -> float | None:
        return round(statistics.pstdev(self.given), 2) if len(self.given) > 1 else None

    @property
    def mean(self) -> float | None:
        return round(statistics.fmean(self.given), 2) if self.given else None


@dataclass
class TrainerCalibrationItemView:
    item: TrainerCalibrationItem
    answer_fields: list[tuple[str, str]]
    criteria: list[TrainerCalibrationCriterion]


@dataclass
class TrainerCalibrationPage:
    items: list[TrainerCalibrationItemView]
    participants: list[TrainerCalibrationParticipant]
    me: TrainerCalibrationParticipant | None
    revealed: bool  # every participant has handed in

    @property
    def waiting_for(self) -> int:
        return sum(1 for p in self.participants if p.submitted_at is None)


def trainer_calibration_page(
    *, session: TrainerCalibrationSession, user: User, values=None, errors=None
):
    """The blind scoring form (with what was entered and, after a refused hand-in, the
    message of each field), or (once every participant handed in) the spread per
    criterion; nobody sees another trainer's scores before that."""
    values, errors = values or {}, errors or {}
    participants = list(session.participants.select_related("trainer").order_by("pk"))
    me = next((p for p in participants if p.trainer_id == user.pk), None)
    revealed = bool(participants) and all(p.submitted_at is not None for p in participants)
    items = list(session.items.select_related("submission__exercise", "submission__scenario"))
    scores: dict[tuple[int, str], list[tuple[str, int | None]]] = defaultdict(list)
    if revealed:
        names = {p.pk: p.trainer.display_name for p in participants}
        for participant_id, item_id, key, points in TrainerCalibrationScore.objects.filter(
            participant__session=session
        ).values_list("participant_id", "item_id", "criterion_key", "points"):
            scores[(item_id, key)].append((names[participant_id], points))
    elif me is not None and me.submitted_at is not None:
        for item_id, key, points in TrainerCalibrationScore.objects.filter(
            participant=me
        ).values_list("item_id", "criterion_key", "points"):
            scores[(item_id, key)].append(("You", points))
    rubrics: dict[str, list] = {}
    views = []
    for item in items:
        slug = item.submission.exercise.rubric_slug
        if slug not in rubrics:
            rubrics[slug] = criteria_of(rubric_version_current(slug=slug).snapshot)
        views.append(
            TrainerCalibrationItemView(
                item=item,
                answer_fields=[
                    (f.label, f.text)
                    for f in commentable_fields(
                        item.submission.exercise.type, item.submission.answer
                    )
                ],
                criteria=[
                    TrainerCalibrationCriterion(
                        key=spec.key,
                        title=spec.title,
                        levels=[(lv.points, lv.title) for lv in spec.levels]
                        + ([("na", "Not applicable")] if spec.allow_na else []),
                        value=str(values.get((item.pk, spec.key), "")),
                        name=f"score__{item.pk}__{spec.key}",
                        error=errors.get(f"score__{item.pk}__{spec.key}", ""),
                        scores=sorted(scores.get((item.pk, spec.key), []), key=lambda s: s[0]),
                    )
                    for spec in rubrics[slug]
                ],
            )
        )
    return TrainerCalibrationPage(items=views, participants=participants, me=me, revealed=revealed)
