"""The numbered sections of the workspace per exercise type, titled by the exercise's steps.

Each type has a fixed order of sections (reading first, the reply last). An exercise's
authored steps give the sections their titles and help: a step goes to the first section
whose keywords start one of the words of the step id ("spot-indicators" → indicators).
"""

import re
from dataclasses import dataclass

from curriculum.markdown import render_markdown
from curriculum.models import Exercise
from text_analysis.vocabulary import FINDING_TYPES


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    help: str
    keywords: tuple[str, ...]


READ = SectionSpec("read", "Read the customer's message", "Read it twice.", ("read",))
REPLY = SectionSpec(
    "reply",
    "Edit and finalise the reply",
    "Fix tone and facts until you would send it.",
    ("reply", "edit", "final", "rewrite"),
)
PROMPT = SectionSpec(
    "prompt", "Write your prompt", "Tell the AI what the reply needs.", ("prompt",)
)

SECTIONS: dict[str, list[SectionSpec]] = {
    "tone": [
        READ,
        SectionSpec("state", "Identify the emotional state", "", ("state", "identify")),
        SectionSpec("indicators", "Quote the indicators", "", ("indicator", "spot", "quote")),
        PROMPT,
        SectionSpec("draft_review", "Does the draft's tone fit?", "", ("review", "draft", "judge")),
        REPLY,
    ],
    "audit": [
        READ,
        SectionSpec(
            "findings",
            "Record the errors",
            "Select a wrong passage in the draft.",
            ("audit", "error", "finding", "record", "mark"),
        ),
        SectionSpec("checklist", "Run the verification checklist", "", ("checklist", "verif")),
        REPLY,
    ],
    "context": [
        SectionSpec(
            "read", "Read the thread and the profile", "", ("read", "review-thread", "profile")
        ),
        SectionSpec("summary", "Write the thread summary", "", ("summar",)),
        SectionSpec("history", "Select relevant past tickets", "", ("history", "select")),
        PROMPT,
        SectionSpec(
            "drafts_compare",
            "Compare the drafts",
            "The same model, without and with your context.",
            ("compare", "draft", "side"),
        ),
        REPLY,
    ],
    "empathy": [
        READ,
        SectionSpec("dimension", "Name the emotional dimension", "", ("dimension", "name")),
        PROMPT,
        SectionSpec(
            "draft_rating", "Rate the draft's empathy", "", ("rate", "rating", "draft", "review")
        ),
        REPLY,
    ],
    "escalation": [
        READ,
        SectionSpec("sentiment", "Analyse the sentiment", "", ("sentiment", "analy", "assess")),
        SectionSpec("plan", "Plan the de-escalation", "", ("plan", "deescalat")),
        SectionSpec(
            "draft",
            "Get a draft from your plan",
            "Your plan is the prompt. Use the draft as a starting point, or write your own.",
            ("draft", "generate"),
        ),
        REPLY,
    ],
    "rca": [
        SectionSpec("read", "Read the incident", "", ("read", "review")),
        SectionSpec(
            "classify",
            "Sort the technical details",
            "Customer-relevant details go in the report; internal-only ones stay out.",
            ("classif", "sort", "detail", "triage"),
        ),
        SectionSpec(
            "report",
            "Write the report",
            "Five sections, business language, under 500 words.",
            ("report", "write", "draft"),
        ),
    ],
}


@dataclass(frozen=True)
class Section:
    key: str
    number: int
    title: str
    help_html: str

    @property
    def template(self) -> str:
        return f"exercises/sections/{self.key}.html"

    @property
    def anchor(self) -> str:
        return f"step-{self.key.replace('_', '-')}"


def _matches(spec: SectionSpec, step_id: str) -> bool:
    words = step_id.lower().split("-")
    return any(word.startswith(keyword) for word in words for keyword in spec.keywords)


# Raw finding-type keys ("invented_feature") in authored help read as their labels.
_FINDING_KEY = re.compile(r"\b(" + "|".join(key for key, _ in FINDING_TYPES) + r")\b")
_FINDING_LABELS = dict(FINDING_TYPES)


def _readable(help_text: str) -> str:
    return _FINDING_KEY.sub(lambda m: _FINDING_LABELS[m.group(1)].lower(), help_text)


def workspace_sections(exercise: Exercise) -> tuple[list[Section], list[dict]]:
    """The numbered sections for an exercise, and any authored steps no section took."""
    specs = SECTIONS[exercise.type]
    taken: dict[str, dict] = {}
    leftover = []
    for step in exercise.steps or []:
        step_id = str(step.get("id", ""))
        spec = next((s for s in specs if s.key not in taken and _matches(s, step_id)), None)
        if spec is None:
            leftover.append(step)
        else:
            taken[spec.key] = step
    sections = []
    for number, spec in enumerate(specs, start=1):
        step = taken.get(spec.key, {})
        sections.append(
            Section(
                key=spec.key,
                number=number,
                title=step.get("title") or spec.title,
                help_html=render_markdown(_readable(step.get("help") or spec.help)),
            )
        )
    return sections, leftover
