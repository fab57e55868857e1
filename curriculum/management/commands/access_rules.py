"""List every access rule of the product: model, view rule, change rule, where it lives."""

from django.core.management.base import BaseCommand

from curriculum.access import access_rules


class Command(BaseCommand):
    help = "List the access rule of every model (the index in curriculum/access.py)."

    def handle(self, *args, **options) -> None:
        rules = access_rules()
        width = max(len(rule.label) for rule in rules)
        for rule in rules:
            self.stdout.write(
                f"{rule.label:<{width}}  view={rule.view.__name__}  "
                f"change={rule.change.__name__}  ({rule.module})"
            )
