"""Make an existing account a support leader, optionally attached to cohorts."""

from django.core.management.base import BaseCommand, CommandError

from curriculum.models import Cohort, User

from ...services import LeaderNotAllowedError, cohort_impact_add_leader, user_grant_support_leader


class Command(BaseCommand):
    help = "Add an account to the Support leaders group, and to the given cohorts' leaders."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The email the person signed up with.")
        parser.add_argument(
            "--cohort", action="append", default=[], metavar="SLUG",
            help="A cohort whose impact pages they lead (repeat for several).",
        )  # fmt: skip

    def handle(self, *args, email: str, cohort: list[str], **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account uses {email}. Ask them to sign up first.")
        cohorts = list(Cohort.objects.filter(slug__in=cohort))
        unknown = sorted(set(cohort) - {c.slug for c in cohorts})
        if unknown:
            raise CommandError(f"No cohort with the slug {', '.join(unknown)}.")
        try:
            if cohorts:
                for each in cohorts:
                    cohort_impact_add_leader(cohort=each, user=user)
            else:
                user_grant_support_leader(user=user)
        except LeaderNotAllowedError as exc:
            raise CommandError(str(exc)) from None
        where = f" of {', '.join(c.name for c in cohorts)}" if cohorts else ""
        self.stdout.write(self.style.SUCCESS(f"{user.email} is now a support leader{where}."))
