"""Each reflection's one visibility becomes the same audience, and back.

Forwards maps each value exactly ("group" sets only the group's flag, "private" none).
Backwards keeps one value: none is "private", one is itself, and several become the first
of facilitators, supporters and group that was chosen.
"""

from django.db import migrations

AUDIENCES = ["group", "supporters", "facilitators"]


def to_flags(apps, schema_editor):
    Response = apps.get_model("learning", "Response")
    for audience in AUDIENCES:
        Response.objects.filter(visibility=audience).update(**{f"shared_with_{audience}": True})


def to_visibility(apps, schema_editor):
    Response = apps.get_model("learning", "Response")
    Response.objects.update(visibility="private")
    for audience in AUDIENCES:  # the last one written wins: facilitators, then supporters
        Response.objects.filter(**{f"shared_with_{audience}": True}).update(visibility=audience)


class Migration(migrations.Migration):

    dependencies = [
        ("learning", "0009_response_audiences"),
    ]

    operations = [
        migrations.RunPython(to_flags, to_visibility, elidable=False),
    ]
