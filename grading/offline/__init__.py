"""The offline grader: scores every rubric criterion from detectors and known answers."""

# Imports inside the package go one way: vocabulary → results → context → reply (the six
# criteria every exercise type's rubric includes) → the other exercise types → grade.
from .grade import (
    NO_SCORER,
    REPLY_QUALITY_RUBRIC,
    expand_rubric,
    grade_answer,
    grade_reply,
    total_of,
)
from .reply import REPLY_CRITERIA
from .results import CriterionVerdict, Evidence, Verdict

__all__ = [
    "NO_SCORER",
    "REPLY_CRITERIA",
    "REPLY_QUALITY_RUBRIC",
    "CriterionVerdict",
    "Evidence",
    "Verdict",
    "expand_rubric",
    "grade_answer",
    "grade_reply",
    "total_of",
]
