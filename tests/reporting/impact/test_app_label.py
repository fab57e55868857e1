"""The impact app moved from curriculum/impact/ to reporting/impact/ keeping its label, so an
existing database needs nothing: same tables, migrations, content types and permissions."""

from django.apps import apps
from django.db.migrations.loader import MigrationLoader

from reporting.impact.tasks import import_tickets_task


def test_the_impact_app_keeps_its_label_tables_and_migrations():
    config = apps.get_app_config("impact")
    assert config.name == "reporting.impact"
    tables = {model._meta.db_table for model in config.get_models()}
    assert tables and all(table.startswith("impact_") for table in tables)
    loader = MigrationLoader(None, ignore_no_migrations=True)
    names = sorted(name for app, name in loader.disk_migrations if app == "impact")
    # The migrations from before the move keep their names (later ones follow them).
    assert names[:2] == ["0001_initial", "0002_support_leaders_group"]


def test_the_import_task_keeps_the_name_queued_messages_carry():
    assert import_tickets_task.name == "curriculum.impact.tasks.import_tickets_task"
