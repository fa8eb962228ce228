"""Generated input on the participant's answer forms and the studio's program settings: no 5xx.

Bounded: a fixed number of derandomized examples each, within the test's time limit.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pocketmentor.conftest import signed_in, week_url

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# Any text: control characters, zero bytes, right-to-left marks, emoji, long runs.
ANY_TEXT = st.text(max_size=300) | st.sampled_from(
    ["", "\x00", "\r\nBcc: x@y.no", "9" * 400, "2020-13-45", "25:99", "-1", "1e400", "٣"]
)
# Form values as browsers send them: text, or one name given several times.
VALUE = ANY_TEXT | st.lists(ANY_TEXT, max_size=3)


def _fields(names: list[str]):
    return st.dictionaries(st.sampled_from(names) | ANY_TEXT, VALUE, max_size=len(names) + 2)


@pytest.mark.parametrize("kind", ["reflection", "task", "quiz", "poll"])
def test_answer_forms_never_answer_5xx(ann, program, kind):
    client = signed_in(ann)
    activity = program.units.get(number=2).activities.get(kind=kind)
    prefix = f"a{activity.pk}-"
    names = ["next"] + [prefix + n for n in ("key", "text", "audiences", "choice", "value")]
    url = week_url(program, f"activities/{activity.pk}/")

    @FUZZ
    @given(data=_fields(names), htmx=st.booleans())
    def post(data, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.post(url, data, headers=headers)
        assert response.status_code < 500, (data, response.status_code)

    post()


def test_program_settings_form_never_answers_5xx(admin_user, program):
    client = signed_in(admin_user)
    url = f"/studio/{program.organization.slug}/p/{program.slug}/settings/"
    names = ["title", "slug", "description", "language", "start_date", "release_time"]
    names.append("time_zone")

    @FUZZ
    @given(data=_fields(names))
    def post(data):
        response = client.post(url, data)
        assert response.status_code < 500, (data, response.status_code)

    post()
    program.refresh_from_db()
    assert program.title and program.slug  # whatever was accepted is still a usable program
