"""Demo data for the calibration loop: one finished monthly cycle (a concluded session with
agreed scores, discussion, a lead trainer's decision and two published examples) and one
open cycle (flags waiting in the inbox, and a session the demo trainer still has to score),
so the calibration pages and the agents' gallery have something to show.

Runs after the demo seed commits (the services own their transactions), once per cohort.
"""

import logging

from django.db import transaction

from curriculum.models import Cohort, User

from ..console import services as console_services
from ..console.models import TrainerCalibrationSession
from ..models import ExampleSubmission
from ..peer.rubric import criteria_of
from . import services

logger = logging.getLogger(__name__)

CO_TRAINER = ("cora@coachline.example", "Cora Co-trainer")
FINISHED_TITLE = "Last month's empathy calibration"
OPEN_TITLE = "This month's empathy calibration"


def calibration_demo_seed_on_commit(*, cohort: Cohort, trainer: User) -> None:
    cohort_id, trainer_id = cohort.pk, trainer.pk
    transaction.on_commit(lambda: calibration_demo_seed(cohort_id=cohort_id, trainer_id=trainer_id))


def _co_trainer(cohort: Cohort) -> User:
    from curriculum.services import user_grant_trainer

    email, name = CO_TRAINER
    user, created = User.objects.get_or_create(email=email, defaults={"full_name": name})
    if created:
        from curriculum.services import DEMO_PASSWORD

        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    user_grant_trainer(user=user)
    cohort.trainers.add(user)
    return user


def _trainer_points(submission) -> dict[str, int | None]:
    """The points of the graded example the demo submission was built from (the same
    answer), else the middle level."""
    example = (
        ExampleSubmission.objects.filter(
            exercise_id=submission.exercise_id,
            scenario_id=submission.scenario_id,
            published_example__isnull=True,
        )
        .order_by("slug")
        .first()
    )
    criteria = (example.trainer_grade.get("criteria") if example else None) or {}
    return {
        key: (value.get("points") if isinstance(value, dict) else value)
        for key, value in criteria.items()
    }


def _scores(items, specs_of, points_of, shift: int = 0) -> dict[tuple[int, str], str]:
    scores = {}
    for item in items:
        points = points_of(item.submission)
        for index, spec in enumerate(specs_of(item.submission)):
            levels = [level.points for level in spec.levels]
            value = points.get(spec.key)
            if value not in levels:
                value = levels[len(levels) // 2]
            if shift and index == 1:  # the co-trainer reads the second criterion differently
                value = levels[min(len(levels) - 1, max(0, levels.index(value) + shift))]
            scores[(item.pk, spec.key)] = str(value)
    return scores


def calibration_demo_seed(*, cohort_id: int, trainer_id: int) -> None:
    from exercises.models import Submission

    from ..selectors import rubric_version_current

    cohort = Cohort.objects.get(pk=cohort_id)
    trainer = User.objects.get(pk=trainer_id)
    if TrainerCalibrationSession.objects.filter(cohort=cohort, title=FINISHED_TITLE).exists():
        return
    submissions = list(
        Submission.objects.filter(user__memberships__cohort=cohort)
        .select_related("exercise", "user")
        .order_by("exercise__module__order", "exercise__order", "user__email", "pk")
    )
    if len(submissions) < 4:
        logger.info("calibration demo skipped: too few demo submissions")
        return
    co = _co_trainer(cohort)
    rubrics: dict[str, list] = {}

    def specs_of(submission):
        slug = submission.exercise.rubric_slug
        if slug not in rubrics:
            rubrics[slug] = criteria_of(rubric_version_current(slug=slug).snapshot)
        return rubrics[slug]

    strong = [s for s in submissions if s.user.email.startswith("ana@")]
    weak = [s for s in submissions if s.user.email.startswith("chloe@")]
    finished_subs = [*(strong[:1] or submissions[:1]), *(weak[:1] or submissions[1:2])]
    rest = [s for s in submissions if s not in finished_subs]

    # The finished cycle: flagged, scored blind, discussed, agreed, published, concluded.
    flags = [
        services.calibration_flag_create(
            trainer=trainer, submission_id=finished_subs[0].pk, kind="exemplary",
            criterion_key="", note="Acknowledges the pressure first, then fixes it with specifics.",
        ),
        services.calibration_flag_create(
            trainer=co, submission_id=finished_subs[1].pk, kind="failure",
            criterion_key="", note="Polite, but the customer would not feel heard.",
        ),
    ]  # fmt: skip
    session = console_services.trainer_calibration_session_create(
        trainer=trainer, cohort=cohort, title=FINISHED_TITLE, submission_ids=[],
        co_trainer_ids=[co.pk], flag_ids=[f.pk for f in flags],
    )  # fmt: skip
    items = list(session.items.select_related("submission__exercise"))
    console_services.trainer_calibration_scores_submit(
        trainer=trainer, session_id=session.pk, scores=_scores(items, specs_of, _trainer_points)
    )
    console_services.trainer_calibration_scores_submit(
        trainer=co,
        session_id=session.pk,
        scores=_scores(items, specs_of, _trainer_points, shift=-2),
    )
    for item, kind, title, commentary in (
        (items[0], "exemplary", "Feelings first, then the fix",
         "The first sentence names what the customer is going through; only then come the "
         "facts, each one checked against the knowledge base, and a **specific next step "
         "with a time**."),
        (items[1], "failure", "Polite is not the same as heard",
         "Courteous throughout, but it never names the customer's worry or deadline, so the "
         "reply reads as a script. Compare it with the exemplary one on the same exercise."),
    ):  # fmt: skip
        services.calibration_comment_add(
            trainer=co, item_id=item.pk, body="I scored empathy lower: the apology felt generic."
        )
        services.calibration_comment_add(
            trainer=trainer, item_id=item.pk,
            body="It names their situation in the first line; that is what the rubric asks.",
        )  # fmt: skip
        agreed = _scores([item], specs_of, _trainer_points)
        services.calibration_agreement_record(
            trainer=trainer,
            item_id=item.pk,
            scores={key: value for (_, key), value in agreed.items()},
        )
        services.calibration_example_publish(
            trainer=trainer, item_id=item.pk, kind=kind, criterion_key="", title=title,
            commentary=commentary, passages=[],
        )  # fmt: skip
    services.trainer_calibration_conclude(trainer=trainer, session_id=session.pk)

    # The open cycle: two flags wait in the inbox; a session the co-trainer has scored.
    for submission, kind, note in (
        (rest[0], "exemplary", "Clear next steps with a time; worth showing the cohort."),
        (rest[-1], "failure", "Repeats the fix the customer already tried."),
    ):
        services.calibration_flag_create(
            trainer=co, submission_id=submission.pk, kind=kind, criterion_key="", note=note
        )
    open_session = console_services.trainer_calibration_session_create(
        trainer=trainer, cohort=cohort, title=OPEN_TITLE,
        submission_ids=[s.pk for s in rest[1:3]], co_trainer_ids=[co.pk],
    )  # fmt: skip
    open_items = list(open_session.items.select_related("submission__exercise"))
    console_services.trainer_calibration_scores_submit(
        trainer=co,
        session_id=open_session.pk,
        scores=_scores(open_items, specs_of, _trainer_points, shift=1),
    )
