"""Input validation for the impact pages: upload, period, ticket filters, settings."""

import datetime as dt

from django import forms
from django.conf import settings

from grading.content.files import readable_size

from .models import AIUsage, Category, CohortImpact
from .selectors import BASELINE, PERIOD, TicketFilter, Window

MAX_PERIOD_DAYS = 366 * 2


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Help-desk export (CSV)",
        help_text="UTF-8 CSV with a header row; see the column list below.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".txt")):
            raise forms.ValidationError("Upload a .csv file exported from the help desk.")
        limit = settings.IMPACT_UPLOAD_MAX_BYTES
        if (upload.size or 0) > limit:
            raise forms.ValidationError(upload_too_large_message(upload.size, limit))
        return upload


def upload_too_large_message(size: int | None, limit: int) -> str:
    """What a leader reads when an export is over the upload limit."""
    what = f"The file is {readable_size(size)}" if size else "The upload is too large"
    return (
        f"{what}; the limit is {readable_size(limit)} (IMPACT_UPLOAD_MAX_BYTES). Export a "
        "shorter date range and upload the parts one by one."
    )


class PeriodForm(forms.Form):
    """The period the dashboard looks at; blank means the default (after training)."""

    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                raise forms.ValidationError("The period must end on or after its start.")
            if (end - start).days > MAX_PERIOD_DAYS:
                raise forms.ValidationError("Choose a period of at most two years.")
        return data

    def window(self, default: Window) -> Window:
        """The chosen period, filling a blank end from the default."""
        if not self.is_valid():
            return default
        start = self.cleaned_data.get("date_from")
        end = self.cleaned_data.get("date_to")
        if not start and not end:
            return default
        end = end or max(default.end, start)
        start = start or min(default.start, end)
        return Window(start, end)


class TicketFilterForm(forms.Form):
    """Filters of the ticket drill-down (what alerts link to)."""

    USAGE_CHOICES = [("", "Any"), ("ai", "Any AI draft"), *AIUsage.choices]

    agent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    category = forms.ChoiceField(required=False, choices=[("", "Any"), *Category.choices])
    ai_usage = forms.ChoiceField(required=False, choices=USAGE_CHOICES, label="AI usage")
    max_edit = forms.FloatField(required=False, min_value=0, max_value=1, label="Edited at most")
    csat_max = forms.IntegerField(required=False, min_value=1, max_value=5, label="CSAT at most")
    phase = forms.ChoiceField(
        required=False,
        choices=[(PERIOD, "Chosen period"), (BASELINE, "Baseline before training")],
    )
    date_from = forms.DateField(required=False, widget=forms.HiddenInput)
    date_to = forms.DateField(required=False, widget=forms.HiddenInput)

    def ticket_filter(self) -> TicketFilter:
        if not self.is_bound:
            return TicketFilter(phase=PERIOD)  # no query string: every ticket of the period
        if not self.is_valid():
            return TicketFilter(agent_id=-1)  # matches nothing rather than everything
        data = self.cleaned_data
        usage = data.get("ai_usage") or ""
        ai_usage = (
            (AIUsage.FULL_AI.value, AIUsage.AI_ASSISTED.value)
            if usage == "ai"
            else ((usage,) if usage else ())
        )
        return TicketFilter(
            agent_id=data.get("agent"),
            category=data.get("category") or "",
            ai_usage=ai_usage,
            max_edit=data.get("max_edit"),
            phase=data.get("phase") or PERIOD,
            csat_max=data.get("csat_max"),
        )


def _percent(fraction: float) -> float | int:
    """0.7 -> 70, 0.025 -> 2.5 (no float noise such as 70.00000000000001)."""
    value = round(fraction * 100, 4)
    return int(value) if value.is_integer() else value


class CohortImpactForm(forms.ModelForm):
    class Meta:
        model = CohortImpact
        fields = [
            "training_started_on",
            "training_completed_on",
            "baseline_days",
            *CohortImpact.TARGET_FIELDS,
            *CohortImpact.THRESHOLD_FIELDS,
        ]
        widgets = {
            "training_started_on": forms.DateInput(attrs={"type": "date"}),
            "training_completed_on": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {
            "target_aht_change_pct": "Target AHT change (%)",
            "target_frt_change_pct": "Target first-response-time change (%)",
            "target_csat_change_pct": "Target CSAT change (%)",
            "aht_drop_pct": "Alert: AHT down by at least (%)",
            "csat_drop_pct": "…while CSAT down by at least (%)",
            "heavy_ai_share": "Heavy AI use: share of tickets with an AI draft (%)",
            "minimal_edit_ratio": "Minimal edit: share of the draft changed, at most (%)",
            "substantial_edit_ratio": "Substantial edit: share changed, at least (%)",
            "minimal_edit_share": "Alert: share of drafts with minimal edits (%)",
            "zero_ai_share": "Alert 'no AI use': AI share at most (%)",
            "csat_spread_increase": "Alert: CSAT spread grows by (points)",
            "full_ai_csat_gap": "Alert: fully AI-drafted CSAT below AI-assisted by (points)",
            "human_csat_gap": "Alert: human-drafted CSAT above AI-assisted by (points)",
        }

    SHARE_FIELDS = (
        "heavy_ai_share",
        "minimal_edit_ratio",
        "substantial_edit_ratio",
        "minimal_edit_share",
        "zero_ai_share",
    )

    DROP_FIELDS = ("aht_drop_pct", "csat_drop_pct")

    def __init__(self, *args, **kwargs):
        """Every share is entered as a percentage like the targets (the model stores a
        fraction): 70 here is 0.7 stored."""
        super().__init__(*args, **kwargs)
        for name in self.SHARE_FIELDS:
            stored = self.initial.get(name)
            if stored is not None:
                self.initial[name] = _percent(stored)
            self.fields[name].widget.attrs.update({"min": 0, "max": 100, "step": "any"})

    def clean(self):
        data = super().clean()
        for name in self.SHARE_FIELDS:
            value = data.get(name)
            if value is None:
                continue
            if not 0 <= value <= 100:
                self.add_error(name, "Enter a percentage between 0 and 100.")
            else:
                data[name] = value / 100
        start, end = data.get("training_started_on"), data.get("training_completed_on")
        if start and end and end < start:
            self.add_error("training_completed_on", "Training cannot end before it starts.")
        if data.get("productive_hours_per_day") is not None and not (
            0 < data["productive_hours_per_day"] <= 24
        ):
            self.add_error("productive_hours_per_day", "Enter hours between 0 and 24.")
        if data.get("baseline_days") is not None and not 7 <= data["baseline_days"] <= 365:
            self.add_error("baseline_days", "Use a baseline of 7 to 365 days.")
        minimal, substantial = data.get("minimal_edit_ratio"), data.get("substantial_edit_ratio")
        if minimal is not None and substantial is not None and minimal >= substantial:
            self.add_error(
                "substantial_edit_ratio",
                "A substantial edit must change more of the draft than a minimal one.",
            )
        for name in self.DROP_FIELDS:
            if data.get(name) is not None and data[name] < 0:
                self.add_error(name, "Enter how far it falls, as a positive percentage.")
        return data


def date_param(value: dt.date | None) -> str:
    return value.isoformat() if value else ""
