"""Fill the stored final grades of existing submissions.

It runs the rebuild (`grading.console.grades.final_grades_refresh`, the one precedence rule)
rather than a copy of the rule on historical models: the rule reads rubric snapshots, peer
weighting and releases, and a second copy would drift. Should the models it reads change
later, squash this migration into a no-op and run `manage.py rebuild_final_grades` instead.
"""

from django.db import migrations


def fill(apps, schema_editor):
    from grading.console.grades import final_grades_refresh, final_grades_scope

    final_grades_refresh(submission_ids=list(final_grades_scope()))


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0008_stored_final_grades"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
