"""The Support leaders group exists from the start, so an operator can grant it in the admin."""

from django.db import migrations

SUPPORT_LEADERS_GROUP = "Support leaders"  # curriculum.access.SUPPORT_LEADERS_GROUP, frozen


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=SUPPORT_LEADERS_GROUP)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("impact", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
