"""The errors peer-review services raise on purpose, under one base class."""


class PeerReviewError(Exception):
    """Base class of every error the peer-review services raise on purpose."""


class PeerReviewValidationError(PeerReviewError):
    """The review is incomplete or invalid; `errors` maps form field names to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(m for messages in errors.values() for m in messages))


class PeerReviewNotAllowedError(PeerReviewError):
    """The user may not do this now; the message says why and what to do instead."""


class PeerReviewClosedError(PeerReviewError):
    """The review is finished, or expired and its place was taken by another reviewer."""


class ReviewerCalibrationRequiredError(PeerReviewNotAllowedError):
    """The exercise wants reviewers calibrated on trainer-graded examples first."""
