"""Sign-up that does not tell who has an account (the same answer as password reset).

Every sign-up answers "check your email": a new address gets its confirmation link, an
address that already has an account gets allauth's "account already exists" email and no
second account. Only a sign-up whose address is already proven (an invitation link) logs
in at once, and its visitor knows the address is theirs. Login itself keeps
ACCOUNT_EMAIL_VERIFICATION (optional by default), so existing accounts are not locked out.
"""

from allauth.account import app_settings
from allauth.account.adapter import get_adapter
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.internal import flows
from allauth.account.internal.userkit import filter_users_by_email
from allauth.account.models import EmailAddress, Login


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form (plus `curriculum.forms.SignupForm`'s fields) without the
    "already registered" error."""

    def validate_unique_email(self, value) -> str:
        email = get_adapter().validate_unique_email(value)
        self.account_already_exists = bool(filter_users_by_email(email))
        return email

    def try_save(self, request):
        email = self.cleaned_data.get("email")
        mandatory = app_settings.EmailVerificationMethod.MANDATORY
        if self.account_already_exists:
            # No account is made; the owner of the address is told they have one.
            login = Login(user=None, email=email, signup=True, email_verification=mandatory)
            return None, flows.login.perform_login(request, login)
        user, response = super().try_save(request)
        if response is not None or _proven_address(user):
            return user, response
        # A new address: confirm it first, exactly as an existing one is answered.
        return user, flows.signup.complete_signup(request, user=user, email_verification=mandatory)


def _proven_address(user) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()
