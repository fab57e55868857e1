"""Seed the local demo: one trainer, a few agents, one cohort. Idempotent."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from curriculum.services import demo_seed


class Command(BaseCommand):
    help = "Create the demo trainer, agents and cohort (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even with DEBUG off (the demo accounts share a known password).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "Refusing to create demo accounts with DEBUG off: they share a known password. "
                "Pass --allow-production if you really want them."
            )
        seed = demo_seed()
        self.stdout.write(self.style.SUCCESS(f"Demo cohort: {seed.cohort.name}"))
        self.stdout.write(f"  trainer  {seed.trainer.email}  password: {seed.password}")
        for agent in seed.agents:
            self.stdout.write(f"  agent    {agent.email}  password: {seed.password}")
