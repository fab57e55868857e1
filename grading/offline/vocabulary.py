"""Words, phrases and defaults the offline grader's modules share."""

from __future__ import annotations

import re

from grading.detectors.text import regex

DEFAULT_REPLY_MAX_WORDS = 250
TONE_WORDS = {
    "reassuring": ("reassur", "calm", "confident", "in hand", "rest assured"),
    "action_focused": (
        "action",
        "immediate",
        "lead with",
        "first sentence",
        "what we are doing",
        "what we're doing",
        "concrete steps",
        "fast",
        "quick",
        "today",
    ),
    "empathetic": ("empath", "acknowledg", "apolog", "understand", "validate", "sympath"),
    "solution_oriented": ("solution", "fix", "resolve", "next step", "concrete"),
    "patient": (
        "patient",
        "step by step",
        "step-by-step",
        "simple",
        "plain language",
        "plain",
        "one step at a time",
        "gentle",
        "no jargon",
    ),
    "educational": (
        "explain",
        "teach",
        "educat",
        "walk through",
        "why",
        "how it works",
        "numbered",
    ),
    "appreciative": ("thank", "appreciat", "grateful", "gratitude"),
    "relationship_building": (
        "relationship",
        "loyal",
        "future",
        "partner",
        "long-term",
        "keep them",
        "feedback",
        "warm",
    ),
}
EMOTION_STATE = {
    "angry": "frustrated",
    "frustrated": "frustrated",
    "disappointed": "frustrated",
    "anxious": "urgent",
    "confused": "confused",
}
TIME_OF_DAY = re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2} ?(?:am|pm)\b", re.IGNORECASE)
DATE_WORDS = regex(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}",
    r"\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*",
    r"\d{4}-\d{2}-\d{2}",
    r"by (?:the )?end of",
    r"within \d+",
    r"by (?:monday|"
    r"tuesday|wednesday|thursday|friday|\w+ \d{1,2})",
    r"next (?:week|month)",
    r"Q[1-4]",
)
URL_ONLY = re.compile(r"https?://\S+|www\.\S+", re.I)
