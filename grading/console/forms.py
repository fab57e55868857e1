"""Input parsing of the trainer console's forms (validation of grades is in services)."""

from django import forms

from .models import CohortGradingSettings
from .services import ReviewInput


def parse_review(post) -> ReviewInput:
    """The trainer's grade form: `score__<key>` level points, `reason__<key>`, `note`."""
    scores, reasons = {}, {}
    for name, value in post.items():
        if name.startswith("score__"):
            scores[name.removeprefix("score__")] = value
        elif name.startswith("reason__"):
            reasons[name.removeprefix("reason__")] = value
    return ReviewInput(scores=scores, reasons=reasons, note=post.get("note", ""))


def parse_trainer_calibration_scores(post) -> dict[tuple[int, str], str]:
    """`score__<item id>__<criterion key>` -> level points."""
    scores = {}
    for name, value in post.items():
        parts = name.split("__")
        if len(parts) == 3 and parts[0] == "score" and parts[1].isdigit():
            scores[(int(parts[1]), parts[2])] = value
    return scores


class CohortGradingSettingsForm(forms.Form):
    release_mode = forms.ChoiceField(
        choices=CohortGradingSettings.ReleaseMode.choices,
        widget=forms.RadioSelect,
        label="When agents see their grades",
    )
    audit_percent = forms.IntegerField(
        min_value=10,
        max_value=15,
        label="Audit sample (% of automatically graded submissions)",
        help_text="Between 10 and 15%.",
    )
    mastery_percent = forms.IntegerField(
        min_value=1,
        max_value=100,
        label="Mastery threshold (% of each criterion's points)",
        help_text="A module is mastered when every criterion averages at least this.",
    )

    @classmethod
    def for_settings(cls, settings: CohortGradingSettings, data=None):
        initial = {
            "release_mode": settings.release_mode,
            "audit_percent": round(settings.audit_rate * 100),
            "mastery_percent": round(settings.mastery_threshold * 100),
        }
        return cls(data=data, initial=initial)


class TrainerCalibrationFilterForm(forms.Form):
    """The submission picker's filter (GET): any submission of the cohort can be found."""

    exercise = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    since = forms.DateField(
        required=False, label="Submitted from", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="to", widget=forms.DateInput(attrs={"type": "date"})
    )
    agent = forms.CharField(required=False, max_length=100, label="Agent name or email")

    def __init__(self, *args, exercise_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exercise"].choices = [("", "Every exercise"), *exercise_choices]

    def filters(self):
        """The valid filters (an invalid one is dropped, and its error shown)."""
        from .trainer_calibration import CandidateFilter

        self.is_valid()  # cleaned_data keeps the fields that are valid
        data = self.cleaned_data
        return CandidateFilter(
            exercise_id=data.get("exercise"),
            since=data.get("since"),
            until=data.get("until"),
            agent=(data.get("agent") or "").strip(),
        )


class TrainerCalibrationSessionForm(forms.Form):
    title = forms.CharField(max_length=200, initial="Trainer calibration round")
    submissions = forms.TypedMultipleChoiceField(
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Submissions to score",
        required=False,
    )
    submission_numbers = forms.CharField(
        required=False,
        max_length=500,
        label="Or submission numbers",
        help_text="Numbers shown as #123, separated by commas or spaces (any of this cohort's).",
    )
    co_trainers = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, required=False, label="Invite"
    )

    def __init__(self, *args, submission_choices=(), trainer_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submissions"].choices = list(submission_choices)
        self.fields["co_trainers"].choices = list(trainer_choices)

    def clean_submission_numbers(self) -> list[int]:
        raw = self.cleaned_data.get("submission_numbers", "")
        numbers = []
        for part in raw.replace(",", " ").split():
            part = part.removeprefix("#")
            if not part.isdigit() or len(part) > 12:
                raise forms.ValidationError(f"“{part}” is not a submission number.")
            numbers.append(int(part))
        return numbers

    def clean(self):
        cleaned = super().clean()
        chosen = list(dict.fromkeys(
            [*cleaned.get("submissions", []), *cleaned.get("submission_numbers", [])]
        ))  # fmt: skip
        if not chosen and not self.errors:
            raise forms.ValidationError("Pick at least one submission.")
        cleaned["submission_ids"] = chosen
        return cleaned
