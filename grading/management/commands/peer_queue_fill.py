"""manage.py peer_queue_fill: give existing submissions their peer-review queue entries."""

from django.core.management.base import BaseCommand

from grading.peer.services import peer_queue_sync


class Command(BaseCommand):
    help = (
        "Fill the peer-review queue for submissions made before it was kept current on "
        "commit (or loaded in bulk): every latest attempt of a peer-reviewed exercise gets "
        "its entry, replaced attempts are retired. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--exercise", action="append", default=None, metavar="SLUG",
            help="only this exercise (repeatable); default every peer-reviewed exercise",
        )  # fmt: skip

    def handle(self, *args, **options):
        exercise_ids = None
        if options["exercise"]:
            from curriculum.models import Exercise

            exercise_ids = list(
                Exercise.objects.filter(slug__in=options["exercise"]).values_list("pk", flat=True)
            )
        created = peer_queue_sync(exercise_ids=exercise_ids)
        self.stdout.write(f"{created} submission(s) entered the peer-review queue.")
