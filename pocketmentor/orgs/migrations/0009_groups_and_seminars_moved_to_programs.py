"""Groups and seminars moved to the programs app; their tables stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('programs', '0004_groups_and_seminars_moved_here'),
        ('learning', '0006_groups_and_seminars_in_programs'),
        ('insights', '0003_groups_and_seminars_in_programs'),
        ('nudges', '0003_groups_and_seminars_in_programs'),
        ('orgs', '0008_departments_normalised'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='seminar',
                    name='groups',
                ),
                migrations.RemoveField(
                    model_name='seminar',
                    name='program',
                ),
                migrations.RemoveField(
                    model_name='seminarunit',
                    name='seminar',
                ),
                migrations.RemoveField(
                    model_name='seminarunit',
                    name='unit',
                ),
                migrations.DeleteModel(
                    name='Group',
                ),
                migrations.DeleteModel(
                    name='Seminar',
                ),
                migrations.DeleteModel(
                    name='SeminarUnit',
                ),
            ],
            database_operations=[],
        ),
    ]
