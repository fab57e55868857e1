"""Errors of the trainer console, under one base."""

from curriculum.dates import format_when


class ConsoleError(Exception):
    """Base of the trainer console's errors."""


class ConsoleNotAllowedError(ConsoleError):
    """The user may not do this (not a trainer of the agent's cohort)."""


class QueueItemLockedError(ConsoleError):
    """Another trainer holds the item right now."""

    def __init__(self, holder, until):
        self.holder = holder
        self.until = until
        name = holder.display_name if holder else "another trainer"
        # Raised while serving the trainer who asked, so in their zone ("14:05 CET").
        super().__init__(f"{name} is reviewing this submission until {format_when(until, 'time')}.")


class ReviewValidationError(ConsoleError):
    """The trainer's grade is incomplete; `errors` maps form field names to messages."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


class TrainerCalibrationError(ConsoleError):
    """A trainer calibration session action that is not possible now."""
