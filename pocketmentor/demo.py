"""The demo organization: a Norwegian municipality five weeks into its leadership program."""

import datetime as dt
import random
import uuid
from operator import itemgetter
from zoneinfo import ZoneInfo

import fsrs
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from pocketmentor.accounts.models import User
from pocketmentor.insights.services import records_backfill, rollups_rebuild
from pocketmentor.insights.services.themes import themes_refresh
from pocketmentor.learning.models import Enrollment, Feedback, RecallAnswer, RecallCard, Response
from pocketmentor.learning.services import SCHEDULER
from pocketmentor.orgs.models import Membership, Organization
from pocketmentor.programs.importer import read_program
from pocketmentor.programs.models import Activity, Group, Program, RecallQuestion, Seminar
from pocketmentor.programs.services import LIBRARY, program_import

SLUG = "demo"
PARTICIPANTS, GROUP_SIZE, WEEKS_DONE = 250, 10, 5
# Share of participants active in program weeks 1..5 before each one's keenness: keen at
# first, settling near half (the dashboard shows about 80 % in week 1, 50 % by week 5).
ACTIVE_SHARE = [0.97, 0.79, 0.67, 0.59, 0.56]
FIRST = ["Kari", "Ola", "Ingrid", "Lars", "Silje", "Anders", "Marte", "Jonas", "Hanne", "Erik",
         "Nora", "Henrik", "Tone", "Sindre", "Line", "Øyvind", "Camilla", "Bjørn", "Ida", "Magnus",
         "Astrid", "Geir", "Hilde", "Trond", "Maren", "Espen", "Randi", "Kjetil", "Sunniva", "Amir",
         "Fatima", "Tor", "Solveig", "Stian", "Linn", "Håkon", "Elin", "Rune", "Aud", "Jørgen",
]  # fmt: skip
LAST = ["Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
        "Jensen", "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen",
        "Johannessen", "Andreassen", "Jacobsen", "Dahl", "Jørgensen", "Henriksen", "Lund",
        "Halvorsen", "Sørensen", "Jakobsen", "Moen", "Gundersen", "Iversen", "Strand", "Solberg",
        "Svendsen", "Eide", "Knutsen", "Martinsen", "Paulsen", "Bakken", "Kristoffersen",
]  # fmt: skip
DEPARTMENTS = {
    "nb": ["Oppvekst", "Helse og omsorg", "Teknisk", "Kultur og idrett", "Økonomi og stab"],
    "en": ["Education", "Health and care", "Technical services", "Culture", "Finance and staff"],
}
REFLECTIONS = {
    "nb": [
        "Jeg merket at jeg ofte svarer før jeg har lyttet ferdig. Det vil jeg øve på.",
        "Det var lettere enn jeg trodde. Teamet tok godt imot det.",
        "Vi snakket om dette på personalmøtet, og flere kjente seg igjen.",
        "Jeg ble usikker underveis, men samtalen ble bedre enn jeg fryktet.",
        "Neste uke vil jeg prøve dette med en som er ny i jobben.",
        "Jeg har tenkt mye på hvor sjelden jeg spør om tilbakemelding selv.",
    ],
    "en": [
        "I noticed I often answer before I have finished listening. I want to practise that.",
        "It was easier than I thought. The team took it well.",
        "We talked about this at the staff meeting, and several people recognised it.",
        "I felt unsure along the way, but the conversation went better than I feared.",
        "Next week I will try this with someone who is new in the job.",
        "I have thought a lot about how rarely I ask for feedback myself.",
    ],
}
FEEDBACK = {
    "nb": ["Takk for at du deler dette. Ta det gjerne med til samlingen.",
           "Godt observert! Hva vil du prøve neste gang?",
           "Dette kjenner mange igjen. Bra at du setter ord på det."],
    "en": ["Thank you for sharing this. Do bring it to the seminar.",
           "Well observed! What will you try next time?",
           "Many will recognise this. Good that you put it into words."],
}  # fmt: skip
TEXT = {
    "nb": {"org": "Fjordvik kommune", "group": "Gruppe", "kickoff": "Oppstartssamling",
           "next": "Avslutningssamling", "place": "Fjordvik kulturhus"},
    "en": {"org": "Fjordvik Municipality", "group": "Group", "kickoff": "Kick-off seminar",
           "next": "Closing seminar", "place": "Fjordvik Culture House"},
}  # fmt: skip


class DemoRefused(Exception):
    """The database holds other data: the demo never seeds over it."""


# Who a demo answer is shared with: most keep theirs private, some share with one audience or two.
SHARING = [()] * 6 + [("group",), ("group", "facilitators"), ("facilitators",)]


def demo_people() -> dict[str, User] | None:
    """The people whose sign-in links the demo prints, if the demo exists."""
    org = Organization.objects.filter(slug=SLUG).first()
    if org is None:
        return None
    admin = org.memberships.filter(role=Membership.Role.ADMIN).order_by("pk").first()
    facilitator = org.memberships.filter(role=Membership.Role.FACILITATOR).order_by("pk").first()
    participant = Enrollment.objects.filter(program__organization=org).order_by("pk").first()
    return {
        "admin": admin.user,
        "facilitator": facilitator.user,
        "participant": participant.user,
    }


@transaction.atomic
def demo_seed(*, language: str = "nb", seed: int = 2016) -> Organization:
    """Create the demo organization on an empty database; refuse when there is other data."""
    if Organization.objects.exists() or User.objects.exists():
        raise DemoRefused
    # Pages kept in Redis from an earlier database would match the new one's first versions.
    caches["pages"].clear()
    rng = random.Random(seed)
    text = TEXT[language]
    org = Organization.objects.create(name=text["org"], slug=SLUG, language=language)
    now, folder = timezone.now(), LIBRARY / "leadership" / language
    release = read_program(folder).release_time
    program = program_import(
        organization=org,
        folder=folder,
        start_date=start_monday(now, ZoneInfo(org.time_zone), release, week=WEEKS_DONE),
        state=Program.State.LIVE,
        publish=True,
    )
    staff = [
        ("hr@fjordvik.example", "Berit Solheim", Membership.Role.ADMIN),
        ("coach@partner.example", "Jon Vang", Membership.Role.FACILITATOR),
    ]
    for email, name, role in staff:
        # The demo's staff may also look around in Django's admin (/admin/).
        user = User.objects.create_user(
            email, name=name, language=language, is_staff=True, is_superuser=True
        )
        invited_at = program.opens_at(1) - dt.timedelta(weeks=3)
        Membership.objects.create(organization=org, user=user, role=role, invited_at=invited_at)
    groups = Group.objects.bulk_create(
        Group(program=program, name=f"{text['group']} {n}")
        for n in range(1, PARTICIPANTS // GROUP_SIZE + 1)
    )
    _seminars(program, text)
    enrollments = _participants(org, program, groups, language, rng)
    _history(program, enrollments, groups, language, rng, now)
    _recall_history(program, enrollments, random.Random(seed + 2), now)
    _records(program, language, random.Random(seed + 1), now)
    return org


def start_monday(now: dt.datetime, zone: ZoneInfo, release: dt.time, *, week: int) -> dt.date:
    """The Monday that makes this the program's week `week` (the demo: its fifth)."""
    local = now.astimezone(zone)
    monday = local.date() - dt.timedelta(days=local.weekday())
    if local.weekday() == 0 and local.time() < release:
        monday -= dt.timedelta(days=7)  # this week's unit opens later today
    return monday - dt.timedelta(weeks=week - 1)


def _seminars(program: Program, text: dict) -> None:
    """A kick-off the Thursday before week 1 and a closing seminar the Wednesday after week 8,
    each moved a week at a time (earlier and later) off holidays, as the dates follow today."""
    kickoff = _working_days(program.opens_at(1) - dt.timedelta(days=4), step=-1)  # Thursday
    closing = _working_days(program.opens_at(9) + dt.timedelta(days=2), step=1)  # Wednesday
    for title, start in ((text["kickoff"], kickoff), (text["next"], closing)):
        begins = start.replace(hour=9, minute=0)
        Seminar.objects.create(
            program=program,
            title=title,
            starts_at=begins,
            ends_at=begins + dt.timedelta(days=1, hours=7),
            place=text["place"],
        )


def _working_days(start: dt.datetime, *, step: int) -> dt.datetime:
    """`start`, or the same weekday `step` weeks on until the seminar's two days fall on
    neither a holiday nor the Christmas or summer holidays."""
    while {start.date(), start.date() + dt.timedelta(days=1)} & _holidays(start.year):
        start += dt.timedelta(weeks=step)
    return start


def _holidays(year: int) -> set[dt.date]:
    """Norway's public holidays and the Christmas and summer holidays around `year`."""
    easter = _easter(year)
    days = {dt.date(year, 5, 1), dt.date(year, 5, 17)}
    days |= {easter + dt.timedelta(days=n) for n in (-3, -2, 1, 39, 50)}
    days |= {dt.date(year, 7, 1) + dt.timedelta(days=n) for n in range(31)}
    days |= {dt.date(year, 12, 20) + dt.timedelta(days=n) for n in range(15)}  # to 3 January
    days |= {dt.date(year - 1, 12, 20) + dt.timedelta(days=n) for n in range(15)}
    return days


def _easter(year: int) -> dt.date:
    """Easter Sunday of the Gregorian calendar (the anonymous algorithm)."""
    a, (b, c) = year % 19, divmod(year, 100)
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    month, day = divmod(h + weekday - 7 * ((a + 11 * h + 22 * weekday) // 451) + 114, 31)
    return dt.date(year, month, day + 1)


def _participants(org, program, groups, language, rng) -> list[Enrollment]:
    names = [(f, last) for f in FIRST for last in LAST]
    rng.shuffle(names)
    users = User.objects.bulk_create(
        User(email=f"leder{n:03d}@fjordvik.example", name=f"{first} {last}", language="")
        for n, (first, last) in enumerate(names[:PARTICIPANTS], start=1)
    )
    for user in users:
        user.set_unusable_password()
    User.objects.bulk_update(users, ["password"])
    departments = DEPARTMENTS[language]
    # Enrolled and invited on the Friday before the first unit opens.
    enrolled_at = program.opens_at(1) - dt.timedelta(days=3)
    Membership.objects.bulk_create(
        Membership(
            organization=org,
            user=user,
            role=Membership.Role.PARTICIPANT,
            department=departments[n % len(departments)],
            invited_at=enrolled_at,
        )
        for n, user in enumerate(users)
    )
    return Enrollment.objects.bulk_create(
        Enrollment(
            program=program, user=user, group=groups[n // GROUP_SIZE], enrolled_at=enrolled_at
        )
        for n, user in enumerate(users)
    )


def _history(program, enrollments, groups, language, rng, now) -> None:
    """Plausible responses for the weeks so far: groups differ, keenness fades, some return."""
    units = list(program.units.prefetch_related("activities__options").order_by("number"))
    group_factor = {g.pk: rng.uniform(0.75, 1.2) for g in groups}
    responses, choices = [], []
    for index, enrollment in enumerate(enrollments):
        keenness = rng.uniform(0.6, 1.25) * group_factor[enrollment.group_id]
        for week in range(1, WEEKS_DONE + 1):
            # The first participant, whose link the demo prints, has this week still to do.
            if index == 0 and week == WEEKS_DONE:
                break
            if rng.random() > min(0.98, ACTIVE_SHARE[week - 1] * keenness) and index != 0:
                continue
            start = program.opens_at(week)
            end = min(program.opens_at(week + 1), now)
            unit = units[week - 1]
            for activity in unit.activities.all():
                if rng.random() > (0.9 if activity.kind == Activity.Kind.REFLECTION else 0.75):
                    continue
                moment = start + (end - start) * rng.random()
                response = Response(
                    enrollment=enrollment,
                    activity=activity,
                    key=uuid.UUID(int=rng.getrandbits(128)),
                    created_at=moment,
                    updated_at=moment,
                    text=rng.choice(REFLECTIONS[language]) if activity.takes_text else "",
                    **Response.sharing(rng.choice(SHARING)),
                )
                if activity.is_scale:
                    response.value = min(5, max(1, round(rng.gauss(3.3, 0.9))))
                responses.append(response)
                options = list(activity.options.all())
                if activity.kind == Activity.Kind.QUIZ:
                    right = [o for o in options if o.is_correct]
                    picked = right if rng.random() < 0.72 else [rng.choice(options)]
                    choices.extend((response, o) for o in picked)
                elif activity.kind == Activity.Kind.POLL and options:
                    choices.append((response, rng.choice(options)))
    Response.objects.bulk_create(responses, batch_size=1000)
    through = Response.choices.through
    through.objects.bulk_create(
        (through(response_id=r.pk, option_id=o.pk) for r, o in choices), batch_size=1000
    )


# Share remembered at the first, second and third recall, before each key point's difficulty.
REMEMBERED = [0.62, 0.74, 0.83]


def _recall_history(program, enrollments, rng, now) -> None:
    """Five weeks of recall, scheduled by FSRS as the app does: each key point comes back the
    week after its unit for those who answered in it, then when FSRS says; people recall in the
    weeks they are active (mostly), and remember more at each recall."""
    questions = list(RecallQuestion.objects.filter(unit__program=program).select_related("unit"))
    difficulty = {q.pk: rng.uniform(-0.25, 0.1) for q in questions}
    units_done: dict[int, set[int]] = {}
    active: set[tuple[int, int]] = set()
    rows = Response.objects.filter(enrollment__program=program)
    for enrollment_id, number, created_at in rows.values_list(
        "enrollment_id", "activity__unit__number", "created_at"
    ):
        units_done.setdefault(enrollment_id, set()).add(number)
        active.add((enrollment_id, program.week_at(created_at)))
    cards, answers = [], []
    for index, enrollment in enumerate(enrollments):
        for question in questions:
            number = question.unit.number
            if number not in units_done.get(enrollment.pk, ()):
                continue
            card = RecallCard(enrollment=enrollment, question=question,
                              due=program.opens_at(number + 1))  # fmt: skip
            state = fsrs.Card(card_id=1, due=card.due.astimezone(dt.UTC))
            for week in range(number + 1, WEEKS_DONE + 1):
                opened, next_opens = program.opens_at(week), program.opens_at(week + 1)
                if state.due >= next_opens or (index == 0 and week == WEEKS_DONE):
                    continue  # not due this week; the printed participant's are left to do
                if rng.random() > (0.85 if (enrollment.pk, week) in active else 0.1):
                    continue
                moment = opened + (min(next_opens, now) - opened) * rng.random()
                chance = REMEMBERED[min(card.reps, 2)] + difficulty[question.pk]
                remembered = rng.random() < chance
                if question.activity_id:
                    rating = RecallAnswer.Rating.GOOD if remembered else RecallAnswer.Rating.AGAIN
                elif remembered:
                    rating = rng.choice([RecallAnswer.Rating.GOOD] * 3 + [RecallAnswer.Rating.EASY])
                else:
                    rating = rng.choice([RecallAnswer.Rating.AGAIN, RecallAnswer.Rating.HARD])
                utc = moment.astimezone(dt.UTC)
                state, _log = SCHEDULER.review_card(state, fsrs.Rating(rating), utc)
                card.reps += 1
                answers.append(
                    RecallAnswer(
                        enrollment=enrollment,
                        question=question,
                        key=uuid.UUID(int=rng.getrandbits(128)),
                        repetition=card.reps,
                        rating=rating,
                        remembered=remembered,
                        due=state.due,
                        created_at=moment,
                    )  # fmt: skip
                )
                card.last_review, card.last_rating = utc, rating
            card.due, card.state, card.step = state.due, int(state.state), state.step
            card.stability, card.difficulty = state.stability, state.difficulty
            cards.append(card)
    RecallCard.objects.bulk_create(cards, batch_size=1000)
    RecallAnswer.objects.bulk_create(answers, batch_size=1000)


def _records(program, language, rng, now) -> None:
    """The history's learning records and figures: answers, units opened and cards read.

    Participants open a week's unit before their first answer in it, mostly read the cards,
    and some open it without doing anything. The facilitator replies to some reflections
    shared with the facilitators or a group (which the facilitators see).
    """
    facilitator = program.organization.memberships.get(role=Membership.Role.FACILITATOR).user
    first: dict[tuple[int, int], dt.datetime] = {}
    shared = []
    rows = Response.objects.filter(enrollment__program=program).select_related("activity__unit")
    for response in rows.order_by("created_at"):
        first.setdefault(
            (response.enrollment_id, response.activity.unit.number), response.created_at
        )
        if response.audiences and response.audiences != ["supporters"] and rng.random() < 0.4:
            shared.append(response)
    feedback = []
    for response in shared:
        moment = response.created_at + dt.timedelta(hours=rng.uniform(4, 48))
        if moment < now:
            text = rng.choice(FEEDBACK[language])
            feedback.append(
                Feedback(response=response, author=facilitator, text=text, created_at=moment)
            )
    Feedback.objects.bulk_create(feedback)
    units = {u.number: u for u in program.units.all()}
    visits = []
    for enrollment in program.enrollments.select_related("group").order_by("pk"):
        for week in range(1, WEEKS_DONE + 1):
            answered = first.get((enrollment.pk, week))
            start = program.opens_at(week)
            if answered is not None:
                opened = start + (answered - start) * rng.uniform(0.5, 0.95)
                read = opened + (answered - opened) * rng.random() if rng.random() < 0.85 else None
            elif rng.random() < 0.15:
                opened = start + (min(program.opens_at(week + 1), now) - start) * rng.random()
                read = opened + dt.timedelta(minutes=2) if rng.random() < 0.4 else None
            else:
                continue
            visits.append((enrollment, units[week], opened, read))
    sign_ins = _sign_ins(program, visits, rng, now)
    records_backfill(program=program, visits=visits, sign_ins=sign_ins)
    rollups_rebuild(program=program)
    themes_refresh(program=program, now=now)  # the worker keeps them current from here on


def _sign_ins(program, visits, rng, now) -> list[tuple[Enrollment, dt.datetime]]:
    """Sign-ins, for their learning records, and when people last signed in: the staff today;
    a participant a little before a visit, within the week it falls in.

    A session lasts 90 days, so most participants signed in once, from the invitation, before
    their first visit; some signed in again later on another phone or browser. Those who never
    opened a unit never signed in.
    """
    opened: dict[int, list[tuple[dt.datetime, Enrollment, int]]] = {}
    for enrollment, unit, moment, _read in visits:
        opened.setdefault(enrollment.user_id, []).append((moment, enrollment, unit.number))
    people, sign_ins = [], []
    for user_id, moments in opened.items():
        again = rng.random() < 0.3
        first, last = min(moments, key=itemgetter(0)), max(moments, key=itemgetter(0))
        before = dt.timedelta(minutes=rng.uniform(1, 20))
        for moment, enrollment, week in [first, last] if again and last != first else [first]:
            # Counted in the week of the visit: never before that week opened.
            since_opening = moment - program.opens_at(week)
            sign_ins.append((enrollment, moment - min(before, since_opening / 2)))
        people.append(User(pk=user_id, last_login=sign_ins[-1][1]))
    staff = program.organization.memberships.exclude(role=Membership.Role.PARTICIPANT)
    for user_id in staff.values_list("user_id", flat=True):
        people.append(User(pk=user_id, last_login=now - dt.timedelta(hours=rng.uniform(1, 30))))
    User.objects.bulk_update(people, ["last_login"], batch_size=500)
    return sign_ins
