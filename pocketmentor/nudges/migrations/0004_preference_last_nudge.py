"""Which nudge took a person's last message slot, so a dead worker's slots go to its nudges."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('nudges', '0003_groups_and_seminars_in_programs'),
    ]

    operations = [
        migrations.AddField(
            model_name='preference',
            name='last_nudge',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='nudges.nudge'),
        ),
    ]
