"""Groups and seminars belong to programs now: the tables stay where the orgs app made them."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0005_pages_version'),
        ('programs', '0003_card_captions'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Group',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, verbose_name='name')),
                        ('program', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='groups', to='programs.program')),
                    ],
                    options={
                        'verbose_name': 'group',
                        'verbose_name_plural': 'groups',
                        'db_table': 'orgs_group',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='Seminar',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=200, verbose_name='title')),
                        ('starts_at', models.DateTimeField(verbose_name='starts')),
                        ('ends_at', models.DateTimeField(verbose_name='ends')),
                        ('place', models.CharField(blank=True, max_length=200, verbose_name='place')),
                        ('agenda', models.TextField(blank=True, help_text='Markdown.', verbose_name='agenda')),
                        ('groups', models.ManyToManyField(blank=True, db_table='orgs_seminar_groups', related_name='seminars', to='programs.group', verbose_name='groups taking part')),
                        ('program', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='seminars', to='programs.program')),
                    ],
                    options={
                        'verbose_name': 'seminar',
                        'verbose_name_plural': 'seminars',
                        'db_table': 'orgs_seminar',
                        'ordering': ['starts_at'],
                    },
                ),
                migrations.CreateModel(
                    name='SeminarUnit',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('prework', 'Pre-work'), ('followup', 'Follow-up')], max_length=10, verbose_name='kind')),
                        ('seminar', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='unit_links', to='programs.seminar')),
                        ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='seminar_links', to='programs.unit')),
                    ],
                    options={
                        'verbose_name': 'seminar week',
                        'verbose_name_plural': 'seminar weeks',
                        'db_table': 'orgs_seminarunit',
                    },
                ),
                migrations.AddConstraint(
                    model_name='group',
                    constraint=models.UniqueConstraint(fields=('program', 'name'), name='unique_group_name'),
                ),
                migrations.AddConstraint(
                    model_name='seminar',
                    constraint=models.CheckConstraint(condition=models.Q(('ends_at__gte', models.F('starts_at'))), name='seminar_ends_after_start'),
                ),
                migrations.AddConstraint(
                    model_name='seminarunit',
                    constraint=models.UniqueConstraint(fields=('seminar', 'unit'), name='one_kind_per_seminar_unit'),
                ),
            ],
            database_operations=[],
        ),
    ]
