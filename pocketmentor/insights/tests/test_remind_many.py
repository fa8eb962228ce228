"""Reminders to several people at risk: confirm first, every nudge rule per person, a result
that says who was skipped and why, nothing twice on replay, and only this program's people."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from pocketmentor.audit.models import Entry as AuditEntry
from pocketmentor.conftest import enroll, make_person, make_program, signed_in
from pocketmentor.insights.models import Engagement
from pocketmentor.nudges.models import Nudge, Preference


@pytest.fixture
def quiet(org, program, groups):
    """Four participants who have done nothing since they were enrolled."""
    people = []
    for n in range(4):
        person = make_person(f"quiet{n}@fjordvik.example", org=org, role="participant")
        person.name = f"Quiet {n}"
        person.save()
        enrollment = enroll(person, program, groups[n % 2])
        enrollment.enrolled_at = timezone.now() - dt.timedelta(days=30)
        enrollment.save()
        Engagement.objects.create(enrollment=enrollment, program=program)  # as the rollups do
        people.append(enrollment)
    return people


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        yield


def remind_url(program):
    return f"/studio/fjordvik/p/{program.slug}/insights/remind/"


def confirm(client, program, data):
    page = client.post(remind_url(program), data).content.decode()
    key = re.search(r'name="key" value="(\w+)"', page)[1]
    return page, data | {"confirm": "1", "key": key}


def test_ticked_people_are_reminded_after_a_confirmation_that_says_how_many(
    facilitator, program, quiet
):
    client = signed_in(facilitator)
    ticked = {"enrollment": [quiet[0].pk, quiet[2].pk]}
    page, data = confirm(client, program, ticked)
    assert "Sende en påminnelse til 2 personer?" in page
    assert "Quiet 0" in page and "Quiet 2" in page and "Quiet 1" not in page
    assert not Nudge.objects.exists()  # nothing before the confirmation
    done = client.post(remind_url(program), data, follow=True).content.decode()
    assert "2 påminnelser planlagt." in done and "0 hoppet over." in done
    assert set(Nudge.objects.values_list("person__name", flat=True)) == {"Quiet 0", "Quiet 2"}
    assert AuditEntry.objects.filter(action="reminder").count() == 2
    # A replay (or a second click) shows the same result and plans nothing again.
    again = client.post(remind_url(program), data, follow=True).content.decode()
    assert "2 påminnelser planlagt." in again
    assert Nudge.objects.count() == 2 and AuditEntry.objects.filter(action="reminder").count() == 2


def test_everyone_at_risk_with_the_skipped_and_why(facilitator, program, quiet):
    Preference.objects.update_or_create(person=quiet[1].user, defaults={"reminders": False})
    client = signed_in(facilitator)
    client.post(f"/studio/fjordvik/p/lead/insights/remind/{quiet[3].pk}/")  # earlier today
    page, data = confirm(client, program, {"all": "1"})
    assert "Sende en påminnelse til 4 personer?" in page
    done = client.post(remind_url(program), data, follow=True).content.decode()
    assert "2 påminnelser planlagt." in done and "2 hoppet over." in done
    assert "Quiet 1 har slått av påminnelser, så ingen ble sendt." in done
    assert "Quiet 3 fikk en påminnelse for mindre enn et døgn siden." in done


def test_nobody_ticked_says_so(facilitator, program, quiet):
    response = signed_in(facilitator).post(remind_url(program), {}, follow=True)
    assert "Kryss av dem du vil minne på først." in response.content.decode()
    assert not Nudge.objects.exists()


def test_people_of_another_program_or_organization_are_never_reminded(
    facilitator, org, program, quiet, outsider
):
    other = make_program(org, slug="other")
    elsewhere = enroll(make_person("else@fjordvik.example", org=org, role="participant"), other)
    theirs = outsider.enrollments.get()
    client = signed_in(facilitator)
    ids = {"enrollment": [quiet[0].pk, elsewhere.pk, theirs.pk]}
    page, data = confirm(client, program, ids)
    assert "Sende en påminnelse til 1 person?" in page
    client.post(remind_url(program), data)
    assert list(Nudge.objects.values_list("person__name", flat=True)) == ["Quiet 0"]
    # Another organization's staff cannot use this program's page at all.
    coach = make_person("coach@other.example", org=outsider.memberships.get().organization,
                        role="facilitator")  # fmt: skip
    assert signed_in(coach).post(remind_url(program), {"all": "1"}).status_code == 404
