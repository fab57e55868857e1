"""Grading's answers to the signals of the layers below, connected in GradingConfig.ready():
automatic grading after a submission commits, AI drafts from the language model, the grade
and peer reviews on the submission page, and the demo's graded submissions."""

from django.urls import reverse
from django.utils.http import urlencode

from curriculum.models import Cohort, User
from curriculum.signals import PageLink, PageSection
from exercises.models import Submission

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
    return PageSection(
        template="grading/submission_feedback.html",
        context={
            "submission": submission,
            "feedback": feedback_for_submission(submission=submission, viewer=viewer),
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


def demo_seed_graded_submissions(sender, *, cohort: Cohort, trainer: User, **kwargs) -> None:
    """curriculum.signals.demo_seeded: the demo agents' submissions, graded after commit."""
    graded_submissions_demo_seed(cohort=cohort, trainer=trainer)
