"""The one visibility is gone: the audiences' flags (0009, filled in 0010) replace it."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("learning", "0010_response_audiences_filled"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="response",
            name="visibility",
        ),
    ]
