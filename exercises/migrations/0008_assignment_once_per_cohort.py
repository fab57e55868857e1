"""The same module (or scenario) is assigned once per cohort.

Existing twins are folded first: of each cohort's assignments of the same work, the first
(lowest id) stays and takes the latest due date among them; the others are deleted (they
only repeated it: submissions do not point at assignments)."""

from django.conf import settings
from django.db import migrations, models


def fold_twins(apps, schema_editor):
    Assignment = apps.get_model("exercises", "Assignment")
    kept: dict[tuple, object] = {}
    for assignment in Assignment.objects.order_by("pk"):
        if assignment.module_id is not None:
            key = ("module", assignment.cohort_id, assignment.module_id)
        else:
            key = ("scenario", assignment.cohort_id, assignment.exercise_id, assignment.scenario_id)
        first = kept.get(key)
        if first is None:
            kept[key] = assignment
            continue
        if assignment.due_at > first.due_at:
            first.due_at = assignment.due_at
            first.opens_at = min(first.opens_at, assignment.opens_at)
            first.save(update_fields=["due_at", "opens_at"])
        assignment.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("curriculum", "0005_cohort_active_name_unique"),
        ("exercises", "0007_company_profile"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(fold_twins, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="assignment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("module__isnull", False)),
                fields=("cohort", "module"),
                name="assignment_module_once_per_cohort",
            ),
        ),
        migrations.AddConstraint(
            model_name="assignment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("scenario__isnull", False)),
                fields=("cohort", "exercise", "scenario"),
                name="assignment_scenario_once_per_cohort",
            ),
        ),
    ]
