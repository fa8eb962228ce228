"""One spelling per department in each organization: "Helse ", "helse" and "Helse" become the
spelling most of its members have, spaces trimmed and collapsed (orgs/departments.py keeps it
so from now on)."""

from collections import Counter, defaultdict

from django.db import migrations


def normalise(apps, schema_editor):
    membership = apps.get_model("orgs", "Membership")
    members = defaultdict(Counter)  # (organization, key) → raw spelling → members
    rows = (
        membership.objects.exclude(department="")
        .values_list("organization_id", "department")
        .order_by()
    )
    for organization_id, raw in rows.iterator():
        members[organization_id, " ".join(raw.split()).casefold()][raw] += 1
    for (organization_id, _key), raws in members.items():
        cleaned = Counter()
        for raw, count in raws.items():
            cleaned[" ".join(raw.split())] += count
        # The most common spelling; on a tie the one sorted first (capitals come first).
        chosen = min(cleaned, key=lambda spelling: (-cleaned[spelling], spelling))
        variants = [raw for raw in raws if raw != chosen]
        if variants:
            membership.objects.filter(
                organization_id=organization_id, department__in=variants
            ).update(department=chosen)


class Migration(migrations.Migration):
    dependencies = [("orgs", "0007_organization_require_two_factor")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop, elidable=True)]
