"""The Trainers group exists from the start, so an operator can grant it in the admin."""

from django.db import migrations

TRAINERS_GROUP = "Trainers"  # curriculum.models.TRAINERS_GROUP, frozen here


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=TRAINERS_GROUP)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("curriculum", "0003_invitation"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
