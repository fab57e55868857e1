"""manage.py impact_token EMAIL [--name NAME]: a bearer token for the ticket-metrics API."""

from django.core.management.base import BaseCommand, CommandError

from curriculum.models import User

from ... import access as impact_access
from ...services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for POST /impact/api/tickets/ (printed once, stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="help-desk export")

    def handle(self, *args, **options):
        user = User.objects.filter(email__iexact=options["email"]).first()
        if user is None:
            raise CommandError(f"No user with the email {options['email']}.")
        if not impact_access.can_use_impact(user):
            raise CommandError(
                f"{user.email} is neither a support leader nor a trainer: the token would be "
                "refused. Add them to the 'Support leaders' group first."
            )
        token, raw_key = api_token_create(user=user, name=options["name"])
        self.stdout.write(f"Token {token.name!r} for {user.email} (shown once):")
        self.stdout.write(raw_key)
