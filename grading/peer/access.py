"""Access rules of peer review, registered into `curriculum.access` by `grading.apps`.

Anonymous both ways: an author sees a finished review of their work but never who wrote it
(the pages and selectors show numbers, not names); a reviewer sees the work, not its
author. Trainers of the author's cohort see everything. Only agents review.
"""

from curriculum import access


def is_review_recipient(user, review) -> bool:
    """The author of the reviewed work, once the (peer) review is finished: may read, rate
    and dispute it."""
    return bool(
        user.is_authenticated
        and review.kind == "peer"
        and review.status == "completed"
        and review.submission.user_id == user.pk
    )


def _peer_review_view(user, review) -> bool:
    if review.reviewer_id == user.pk or is_review_recipient(user, review):
        return True
    return access.trains_user(user, review.submission.user)


def _peer_review_change(user, review) -> bool:
    """Only its reviewer fills it in, while it is open (or expired and may be handed in),
    and only while an agent: trainers and support leaders never take peer reviews."""
    return (
        review.reviewer_id == user.pk
        and review.status in {"in_progress", "expired"}
        and access.is_agent(user)
    )


def _review_part_view(user, part) -> bool:
    return _peer_review_view(user, part.review)


def _review_part_change(user, part) -> bool:
    return _peer_review_change(user, part.review)


def _peer_entry_view(user, entry) -> bool:
    return entry.author_id == user.pk or access.trains_user(user, entry.author)


def _peer_entry_change(user, entry) -> bool:
    return access.trains_user(user, entry.author)


def _calibration_view(user, attempt) -> bool:
    return attempt.reviewer_id == user.pk or access.trains_user(user, attempt.reviewer)


def register_rules() -> None:
    access.register("grading.PeerReview", view=_peer_review_view, change=_peer_review_change)
    access.register("grading.PeerScore", view=_review_part_view, change=_review_part_change)
    access.register("grading.InlineComment", view=_review_part_view, change=_review_part_change)
    access.register("grading.PeerQueueEntry", view=_peer_entry_view, change=_peer_entry_change)
    # A record of what was scored.
    access.register("grading.CalibrationAttempt", view=_calibration_view, change=access.never)
