"""A reflection is shared with any combination of audiences: three flags beside the one choice.

The flags are filled in 0010 and the old choice removed in 0011: on PostgreSQL a table cannot
be altered in the transaction that updated its rows, so each step is a migration of its own.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("learning", "0008_recall_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="response",
            name="shared_with_facilitators",
            field=models.BooleanField(default=False, verbose_name="shared with facilitators"),
        ),
        migrations.AddField(
            model_name="response",
            name="shared_with_group",
            field=models.BooleanField(default=False, verbose_name="shared with the group"),
        ),
        migrations.AddField(
            model_name="response",
            name="shared_with_supporters",
            field=models.BooleanField(default=False, verbose_name="shared with supporters"),
        ),
    ]
