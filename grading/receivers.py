"""Grading's answers to the signals of the layers below, connected in GradingConfig.ready():
automatic grading after a submission commits, AI drafts from the language model, the grade
and peer reviews on the submission page, and the demo's graded submissions."""

from django.urls import reverse
from django.utils.http import urlencode

from curriculum.models import Cohort, User
from curriculum.signals import PageLink, PageSection
from exercises.models import Submission

from .console.grades import released_percents
from .demo import graded_submissions_demo_seed
from .peer.forms import HELPFULNESS_CHOICES
from .peer.selectors import peer_feedback_for_submission
from .peer.services import peer_queue_enter
from .selectors import feedback_for_submission
from .services import grading_request


def submission_grade(sender, *, submission_id: int, **kwargs) -> None:
    """exercises.signals.submission_committed: queue automatic grading."""
    grading_request(submission_id=submission_id)


def submission_enter_peer_queue(sender, *, submission_id: int, **kwargs) -> None:
    """exercises.signals.submission_committed: the submission enters the peer-review queue
    (and retires its author's earlier attempt), so "review next" never has to re-sync."""
    peer_queue_enter(submission_id=submission_id)


def draft_generate(sender, *, scenario_data: dict, prompt: str, variant: str, facts, **kwargs):
    """exercises.signals.draft_requested (sent only with a model configured): the LLM's draft."""
    # Imported here so that only generating a draft loads the openai client.
    from .llm.drafts import generate_draft

    return generate_draft(scenario_data=scenario_data, prompt=prompt, variant=variant, facts=facts)


def cohort_page_console_links(sender, *, user, cohort, **kwargs) -> list[PageLink]:
    """The trainer console's pages of this cohort, linked from the cohort page
    (curriculum.signals.cohort_page_links)."""
    slug = cohort.slug
    queue = reverse("grading:console-queue") + "?" + urlencode({"cohort": slug})
    return [
        PageLink("Progress", reverse("grading:console-progress", args=[slug])),
        PageLink("Review queue", queue),
        PageLink("Held grades", reverse("grading:console-held", args=[slug])),
        PageLink("Grading settings", reverse("grading:console-settings", args=[slug])),
        PageLink("Peer reviews", reverse("grading:peer-cohort", args=[slug])),
    ]


def submission_page_grade(sender, *, submission: Submission, viewer, **kwargs) -> PageSection:
    """exercises.signals.submission_page_sections: the grade and per-criterion feedback (the
    fragment polls grading:submission-feedback while grading runs)."""
    from .calibration.selectors import weak_criteria_with_examples

    feedback = feedback_for_submission(submission=submission, viewer=viewer)
    return PageSection(
        template="grading/submission_feedback.html",
        context={
            "submission": submission,
            "feedback": feedback,
            "weak_examples": weak_criteria_with_examples(submission=submission, feedback=feedback),
        },
    )


def submission_page_peer_reviews(
    sender, *, submission: Submission, viewer, **kwargs
) -> PageSection:
    """exercises.signals.submission_page_sections: the peer reviews (nothing when the
    exercise has none)."""
    return PageSection(
        template="grading/peer/summary.html",
        context={
            "submission": submission,
            "feedback": peer_feedback_for_submission(submission=submission, viewer=viewer),
            "helpfulness_choices": HELPFULNESS_CHOICES,
        },
    )


def submission_released_scores(sender, *, submission_ids, **kwargs) -> dict[int, int]:
    """exercises.signals.submission_scores: the released final grades, in percent."""
    return released_percents(submission_ids=submission_ids)


def demo_seed_graded_submissions(sender, *, cohort: Cohort, trainer: User, **kwargs) -> None:
    """curriculum.signals.demo_seeded: the demo agents' submissions, graded after commit."""
    graded_submissions_demo_seed(cohort=cohort, trainer=trainer)
    from .calibration.demo import calibration_demo_seed_on_commit

    calibration_demo_seed_on_commit(cohort=cohort, trainer=trainer)


def lesson_page_examples(sender, *, user, lesson, **kwargs) -> PageSection | None:
    """curriculum.signals.lesson_page_sections: the published examples of the lesson's
    module (a few titles and a link to the gallery), or nothing when there are none."""
    from .calibration.selectors import gallery_examples_for_module

    entries, total = gallery_examples_for_module(module_id=lesson.module_id)
    if not total:
        return None
    return PageSection(
        template="grading/calibration/lesson_examples.html",
        context={"entries": entries, "total": total, "module_id": lesson.module_id},
    )
