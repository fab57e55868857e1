"""Forms of the base app."""

from django import forms

from .dates import validate_time_zone, zone_choices, zone_name_or_blank


class BrowserTimeZoneInput(forms.HiddenInput):
    """A hidden field that `coachline/time_zone.js` fills with the browser's zone
    (Intl.DateTimeFormat().resolvedOptions().timeZone). Left empty without JavaScript."""

    def __init__(self):
        super().__init__(attrs={"data-browser-time-zone": ""})


class BrowserTimeZoneField(forms.CharField):
    """The browser's zone, or "" (the site's zone) when it sent none or one we do not know:
    a visitor cannot see or fix this field, so it never fails a form."""

    widget = BrowserTimeZoneInput

    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=None, **kwargs)

    def clean(self, value) -> str:
        return zone_name_or_blank(value)


class SignupForm(forms.Form):
    """Extra sign-up fields; django-allauth calls `signup` after creating the user."""

    full_name = forms.CharField(
        max_length=150,
        label="Your name",
        help_text="Shown to your trainer. Peer reviews stay anonymous.",
    )
    time_zone = BrowserTimeZoneField()

    def signup(self, request, user) -> None:
        user.full_name = self.cleaned_data["full_name"].strip()
        user.time_zone = self.cleaned_data.get("time_zone", "")
        user.save(update_fields=["full_name", "time_zone"])


class InvitationAcceptForm(forms.Form):
    """Joining a cohort: one button, plus the browser's zone for an account without one."""

    time_zone = BrowserTimeZoneField()


class ProfileForm(forms.Form):
    """The profile page: the name trainers see and the zone dates are shown in."""

    full_name = forms.CharField(
        max_length=150,
        label="Your name",
        help_text="Shown to your trainer. Peer reviews stay anonymous.",
        error_messages={"required": "Enter the name your trainer knows you by."},
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        error_messages={
            "required": "Choose a time zone.",
            "invalid_choice": "%(value)s is not a time zone we know: choose one from the list.",
        },
        help_text="Every date and time on the site and in your emails is shown in this zone.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = zone_choices()
        current = self.initial.get("time_zone")
        listed = {name for _, group in choices[1:] for name, _ in group} | {"UTC"}
        if current and current not in listed:
            # A zone the list leaves out (a browser's "Etc/UTC"): keep it choosable.
            choices = [("Your zone now", [(current, current)]), *choices]
        self.fields["time_zone"].choices = choices

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"]
        validate_time_zone(value)
        return value


# ---- cohorts ------------------------------------------------------------------------------


class CohortForm(forms.Form):
    name = forms.CharField(max_length=120, label="Cohort name")
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: who is in it and what it is for (Markdown).",
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the cohort a name.")
        return name


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Agent's email")
    full_name = forms.CharField(max_length=150, required=False, label="Name (optional)")


class InvitationImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="One agent per line: email,name (the header row and the name are optional).",
    )


class TrainerAddForm(forms.Form):
    email = forms.EmailField(
        label="Co-trainer's email", help_text="They must already have a trainer account."
    )

    def __init__(self, *args, **kwargs):
        # Its own ids: the invitation form on the same page has an `email` field too, and
        # two id_email fields left this one unlabelled (its label focused the other).
        kwargs.setdefault("auto_id", "id_trainer_%s")
        super().__init__(*args, **kwargs)
