"""Make an existing account a trainer (the first trainer of a fresh installation, say)."""

from django.core.management.base import BaseCommand, CommandError

from curriculum.models import User
from curriculum.services import user_grant_trainer


class Command(BaseCommand):
    help = "Add an account to the Trainers group; --staff also opens the Django admin to it."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The email the person signed up with.")
        parser.add_argument("--staff", action="store_true", help="Also make them staff.")

    def handle(self, *args, email: str, staff: bool, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(
                f"No account uses {email}. Ask them to sign up first (or create one with "
                "`manage.py createsuperuser`), then run this again."
            )
        user_grant_trainer(user=user)
        if staff and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        role = "a trainer and staff" if user.is_staff else "a trainer"
        self.stdout.write(self.style.SUCCESS(f"{user.email} is now {role}."))
