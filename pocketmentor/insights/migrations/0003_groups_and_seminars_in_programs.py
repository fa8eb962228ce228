"""A week figure's group is programs.Group now (the same table): nothing changes in the database."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('insights', '0002_figures_again_after_departments'),
        ('programs', '0004_groups_and_seminars_moved_here'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='weekfigure',
                    name='group',
                    field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='programs.group'),
                ),
            ],
            database_operations=[],
        ),
    ]
