"""Errors of the calibration loop, under the trainer console's base error."""

from ..console.errors import ConsoleError


class CalibrationLoopError(ConsoleError):
    """A calibration action that is not possible now (the message says why)."""


class CalibrationValidationError(CalibrationLoopError):
    """What was typed is incomplete; `errors` maps form field names to messages."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))
