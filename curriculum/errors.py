"""The errors the cohort services raise on purpose, under one base class."""


class CohortError(Exception):
    """Base class of every error the cohort and invitation services raise on purpose.

    The message is written for the trainer or the invitee: views show it as is.
    """


class CohortValidationError(CohortError):
    """The change is not allowed (archived cohort, unknown trainer, last trainer, …)."""


class CohortNameTakenError(CohortValidationError):
    """Another active cohort already has this name (they would look the same in every list)."""


class CohortImportError(CohortError):
    """The uploaded file cannot be read at all (no row was looked at)."""


class InvitationError(CohortError):
    """An invitation link that cannot be used; `status` is shown as the page's heading."""

    status = "This invitation cannot be used"
    http_status = 400

    def __init__(self, message: str, *, invitation=None):
        self.invitation = invitation
        super().__init__(message)


class InvitationInvalidError(InvitationError):
    status = "This invitation link is not valid"
    http_status = 404


class InvitationExpiredError(InvitationError):
    status = "This invitation has expired"
    http_status = 410


class InvitationUsedError(InvitationError):
    status = "This invitation has already been used"
    http_status = 410


class InvitationWrongAccountError(InvitationError):
    status = "This invitation is for another email address"
    http_status = 403
