"""A nudge's seminar is programs.Seminar now (the same table): nothing changes in the database."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('nudges', '0002_worker_heartbeat'),
        ('programs', '0004_groups_and_seminars_moved_here'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='nudge',
                    name='seminar',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='programs.seminar'),
                ),
            ],
            database_operations=[],
        ),
    ]
