"""Forms of the base app."""

from django import forms


class SignupForm(forms.Form):
    """Extra sign-up fields; django-allauth calls `signup` after creating the user."""

    full_name = forms.CharField(
        max_length=150,
        label="Your name",
        help_text="Shown to your trainer. Peer reviews stay anonymous.",
    )

    def signup(self, request, user) -> None:
        user.full_name = self.cleaned_data["full_name"].strip()
        user.save(update_fields=["full_name"])


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
