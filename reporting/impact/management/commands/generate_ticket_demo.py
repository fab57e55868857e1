"""manage.py generate_ticket_demo: ticket histories for the demo cohort (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from curriculum.services import DEMO_PASSWORD, demo_seed

from ...demo import DEMO_LEADER, ticket_demo_generate


class Command(BaseCommand):
    help = "Create the demo support leader and before/after-training tickets for the demo cohort."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Generate even with DEBUG off (the demo leader has a known password).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "Refusing to create demo accounts with DEBUG off: they share a known password. "
                "Pass --allow-production if you really want them."
            )
        demo_seed()  # idempotent: the demo cohort and agents the tickets belong to
        result = ticket_demo_generate()
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.tickets} demo tickets for {result.cohort.name} "
                f"(training {result.training_started_on} to {result.training_completed_on})."
            )
        )
        self.stdout.write(
            f"  leader   {DEMO_LEADER[0]}  password: {DEMO_PASSWORD}  "
            f"(/impact/cohorts/{result.cohort.slug}/)"
        )
