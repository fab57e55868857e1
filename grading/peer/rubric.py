"""What a peer reviewer scores and comments on: rubric criteria and the answer's text fields."""

from dataclasses import dataclass

from exercises.answers import REPORT_SECTIONS

EMPATHY_QUESTIONS = [
    ("acknowledges_feelings", "Does this response acknowledge the customer's feelings?"),
    ("would_feel_heard", "Would I feel heard?"),
    ("more_empathetic", "What could make this more empathetic?"),
]


@dataclass(frozen=True)
class LevelSpec:
    points: int
    title: str
    description: str


@dataclass(frozen=True)
class CriterionSpec:
    key: str
    title: str
    description: str
    weight: float
    allow_na: bool
    levels: tuple[LevelSpec, ...]

    @property
    def min_points(self) -> int:
        return self.levels[0].points

    @property
    def max_points(self) -> int:
        return self.levels[-1].points

    def level_title(self, points) -> str:
        return next((level.title for level in self.levels if level.points == points), "")


def criteria_of(snapshot: dict) -> list[CriterionSpec]:
    specs = []
    for criterion in snapshot["criteria"]:
        levels = sorted(criterion["levels"], key=lambda level: level["points"])
        specs.append(
            CriterionSpec(
                key=criterion["id"],
                title=criterion.get("title", criterion["id"]),
                description=criterion.get("description", ""),
                weight=float(criterion.get("weight", 1)),
                allow_na=bool(criterion.get("allow_na", False)),
                levels=tuple(
                    LevelSpec(lv["points"], lv.get("title", ""), lv.get("description", ""))
                    for lv in levels
                ),
            )
        )
    return specs


def ranges_of(criteria: list[CriterionSpec]) -> dict[str, tuple[int, int]]:
    return {c.key: (c.min_points, c.max_points) for c in criteria}


@dataclass(frozen=True)
class TextField:
    path: str
    label: str
    text: str


def commentable_fields(exercise_type: str, answer: dict) -> list[TextField]:
    """The free-text parts of an answer a reviewer may anchor comments to."""

    def text(value) -> str:
        return value if isinstance(value, str) else ""

    fields = []
    if exercise_type == "rca":
        report = answer.get("report") or {}
        for key, label in REPORT_SECTIONS:
            fields.append(TextField(f"report.{key}", label, text(report.get(key))))
    else:
        fields.append(TextField("reply", "Reply to the customer", text(answer.get("reply"))))
        if exercise_type in {"tone", "context", "empathy"}:
            fields.append(TextField("prompt", "Prompt for the AI", text(answer.get("prompt"))))
    return [f for f in fields if f.text.strip()]
