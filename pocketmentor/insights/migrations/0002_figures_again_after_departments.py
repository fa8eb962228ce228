"""Materialise every week's figures again on the next refresh: departments that were two rows
("Helse " and "helse") are one since orgs 0008."""

from django.db import migrations


def figures_again(apps, schema_editor):
    apps.get_model("insights", "ProgramInsight").objects.update(final_week=0, refreshed_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0001_learning_records_and_rollups"),
        ("orgs", "0008_departments_normalised"),
    ]

    operations = [migrations.RunPython(figures_again, migrations.RunPython.noop, elidable=True)]
