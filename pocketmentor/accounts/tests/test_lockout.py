"""Staff passwords cannot be guessed: django-axes locks one account from one address."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client

from pocketmentor.conftest import NOW

PASSWORD = "the right horse battery"  # noqa: S105
ATTACKER = "203.0.113.7"
COLLEAGUE = "198.51.100.20"


@pytest.fixture
def staff(admin_user, facilitator):
    for person in (admin_user, facilitator):
        person.set_password(PASSWORD)
        person.save()
    return admin_user, facilitator


def sign_in(path: str, email: str, password: str, address: str = ATTACKER) -> tuple:
    client = Client(REMOTE_ADDR=address)
    response = client.post(path, {"username": email, "password": password})
    return response, client


def guess(path: str, email: str, times: int) -> list[int]:
    return [sign_in(path, email, f"wrong {n}")[0].status_code for n in range(times)]


def test_forty_wrong_passwords_then_the_right_one_is_refused(staff):
    admin, _ = staff
    answers = guess("/login/staff/", admin.email, 40)
    assert answers[:4] == [200] * 4  # the form again, with its message
    assert set(answers[4:]) == {429}  # the fifth wrong one locks
    response, client = sign_in("/login/staff/", admin.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "Innlogging satt på pause" in page
    assert "Du kan prøve igjen etter 12:15" in page  # 15 minutes from noon, Oslo time
    assert response["Retry-After"] == "900"


def test_the_admin_site_is_limited_the_same_way(staff):
    admin, _ = staff
    admin.is_staff = True
    admin.save()
    guess("/admin/login/", admin.email, 5)
    response, client = sign_in("/admin/login/", admin.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_account_and_address_and_lifts_after_its_time(staff):
    admin, facilitator = staff
    guess("/login/staff/", admin.email, 10)
    assert sign_in("/login/staff/", facilitator.email, PASSWORD)[0].status_code == 302
    response, client = sign_in("/login/staff/", admin.email, PASSWORD, address=COLLEAGUE)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(admin.pk)
    with time_machine.travel(NOW + dt.timedelta(minutes=14)):
        assert sign_in("/login/staff/", admin.email, PASSWORD)[0].status_code == 429
    # That try started the 15 minutes again.
    with time_machine.travel(NOW + dt.timedelta(minutes=14 + 16)):
        response, client = sign_in("/login/staff/", admin.email, PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(admin.pk)
    assert not AccessAttempt.objects.exists()  # a right password clears the count


def test_the_address_is_the_one_the_rest_of_the_app_sees(staff, settings):
    admin, _ = staff
    guess("/login/staff/", " HR@Fjordvik.example", 5)
    [attempt] = AccessAttempt.objects.all()
    assert (attempt.ip_address, attempt.username) == (ATTACKER, admin.email)
    # A made-up forwarding header from the client changes nothing.
    client = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=COLLEAGUE)
    response = client.post("/login/staff/", {"username": admin.email, "password": PASSWORD})
    assert response.status_code == 429


def test_the_lockout_page_speaks_english_to_english_visitors(staff):
    admin, _ = staff
    guess("/login/staff/", admin.email, 5)
    client = Client(REMOTE_ADDR=ATTACKER, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/login/staff/", {"username": admin.email, "password": PASSWORD})
    assert "You can try again after 12:15" in response.content.decode()


@pytest.mark.parametrize("path", ["/login/staff/", "/admin/login/"])
def test_a_name_longer_than_any_address_is_counted_not_a_crash(staff, path):
    name = "x" * 5000 + "@fjordvik.example"
    answers = guess(path, name, 6)
    assert answers[:4] == [200] * 4 and answers[5] == 429
    [attempt] = AccessAttempt.objects.all()
    assert attempt.username == name[:254]
