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
