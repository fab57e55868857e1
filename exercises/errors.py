"""The errors of the exercises app, under one base class."""


class ExercisesError(Exception):
    """Base class of every error the exercises services raise on purpose."""


class WorkspaceConflictError(ExercisesError):
    """The saved workspace is newer than the revision the client sent (another tab saved)."""

    def __init__(self, workspace):
        self.workspace = workspace
        super().__init__(
            f"The workspace was saved elsewhere (revision {workspace.revision}); "
            "reload it before saving."
        )


class SubmissionValidationError(ExercisesError):
    """The answer is incomplete or invalid; `errors` maps form field names to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(message for messages in errors.values() for message in messages))


class SubmissionTokenReusedError(ExercisesError):
    """A form already submitted comes back with another answer (a page reopened with Back):
    not a double submit, so its changes must not vanish into the earlier `submission`."""

    def __init__(self, submission):
        self.submission = submission
        super().__init__(f"This page was already submitted as attempt {submission.attempt}.")


class SubmissionLimitError(ExercisesError):
    """The agent has used every attempt the exercise allows for this scenario."""


class DraftUnavailableError(ExercisesError):
    """A draft cannot be requested now (no prompt yet, or the exercise type has none)."""


class DraftGenerationError(ExercisesError):
    """The draft generator failed; `transient` errors (timeouts, 5xx, 429) may be retried.

    The configured generator (grading.llm.drafts) raises it with a message fit to show
    the agent.
    """

    def __init__(self, message: str, *, transient: bool = False):
        self.transient = transient
        super().__init__(message)


class AssignmentValidationError(ExercisesError):
    """The assignment cannot be set as asked (dates, target, archived cohort)."""


class PromptTemplateError(ExercisesError):
    """A prompt template or version cannot be written, reviewed or inserted as asked;
    `field` names the form field the message belongs to ("" for the whole form)."""

    def __init__(self, message: str, *, field: str = ""):
        self.field = field
        super().__init__(message)
