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
    review_percent = forms.IntegerField(
        required=False,  # a form from before the setting existed keeps the saved value
        min_value=0,
        max_value=round(CohortGradingSettings.REVIEW_SHARE_MAX * 100),
        label="Reviewing counts for (% of each agent's grade and mastery)",
        help_text=(
            "0 to 50%. That share of an agent's average and of each criterion's average comes "
            "from how closely their peer reviews agree with trainers (reviewer calibration) "
            "and with the other reviewers. Agents see how it was computed."
        ),
    )

    @classmethod
    def for_settings(cls, settings: CohortGradingSettings, data=None):
        initial = {
            "release_mode": settings.release_mode,
            "audit_percent": round(settings.audit_rate * 100),
            "mastery_percent": round(settings.mastery_threshold * 100),
            "review_percent": round(settings.review_share * 100),
        }
        return cls(data=data, initial=initial)


class TrainerCalibrationSessionForm(forms.Form):
    title = forms.CharField(max_length=200, initial="Trainer calibration round")
    flags = forms.TypedMultipleChoiceField(
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Flagged in the calibration inbox",
    )
    submissions = forms.TypedMultipleChoiceField(
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Other submissions to score",
    )
    co_trainers = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, required=False, label="Invite"
    )

    def __init__(self, *args, submission_choices=(), trainer_choices=(), flag_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submissions"].choices = list(submission_choices)
        self.fields["co_trainers"].choices = list(trainer_choices)
        self.fields["flags"].choices = list(flag_choices)
        self.fields["flags"].initial = [pk for pk, _ in flag_choices]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("flags") and not cleaned.get("submissions"):
            raise forms.ValidationError("Pick at least one flagged item or submission.")
        return cleaned


class CalibrationCandidateFilterForm(forms.Form):
    """Which submissions the new-session form offers (GET)."""

    exercise = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    criterion = forms.ChoiceField(required=False)
    grade_min = forms.IntegerField(min_value=0, max_value=100, required=False, label="Grade from %")
    grade_max = forms.IntegerField(min_value=0, max_value=100, required=False, label="to %")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    flagged_only = forms.BooleanField(required=False, label="Flagged only (including used)")

    def __init__(self, *args, exercise_choices=(), criterion_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exercise"].choices = [("", "Any exercise"), *exercise_choices]
        self.fields["criterion"].choices = [("", "Any criterion"), *criterion_choices]
