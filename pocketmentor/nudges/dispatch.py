"""Claiming due nudges and sending them, so that two workers never send the same one.

A claim stamps rows with a token and a short lease (`claimed_until`). On PostgreSQL the rows
are picked with SELECT … FOR UPDATE SKIP LOCKED, so concurrent workers take different rows
without waiting; on SQLite one UPDATE … WHERE id IN (SELECT … LIMIT n) AND <still due>
claims them, and SQLite runs writers one at a time, so a row is claimed once. While it sends,
the worker renews its lease (the claim's heartbeat, a statement of its own every sixth of the
lease), so a slow batch keeps its rows; a worker that dies stops renewing, and when the lease
ends its rows are due again and another worker claims them.

A claim's rows go in groups (SEND_GROUP): one statement takes the people's message slots
for a group right before it goes, naming on each the nudge that took it, and one records the
messages the server took as sent, only for the rows the claim still holds. A worker that dies
in between leaves those slots to their nudges: the worker that takes a nudge up after the
lease counts its slot as the nudge's own, so it goes then, not after the gap. The one window
left: a worker that dies after the server accepted messages and before that record commits
sends them again after the lease ends (at most a group, and only what the server took in the
last RECORD_WITHIN seconds). The copies carry the same Message-ID (and push Topic), so they
can be recognised; see docs/nudges.md.
"""

import datetime as dt
import logging
import os
import secrets
import socket
import time
from collections import Counter, defaultdict

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pocketmentor.learning.models import Enrollment, Response
from pocketmentor.lib import sql
from pocketmentor.nudges import channels, heartbeat
from pocketmentor.nudges.messages import Renderer
from pocketmentor.nudges.models import Delivery, Nudge, Preference, PushSubscription
from pocketmentor.nudges.rules import next_allowed, rules_map, zone_of
from pocketmentor.orgs.models import Membership
from pocketmentor.orgs.permissions import AUTHORS
from pocketmentor.programs.models import Program

logger = logging.getLogger(__name__)
State, Kind = Nudge.State, Nudge.Kind

# Why a nudge was not sent, as stored in Nudge.error; anything else there is a server's reply.
REASONS = {
    "stale": _("Too late to be useful"),
    "active": _("Already active this week"),
    "paused": _("Reminders paused until the person is active again"),
    "unsubscribed": _("The person turned messages off"),
    "reminders_off": _("The person turned reminders off"),
    "no_channel": _("No way to reach the person"),
    "rules_off": _("Turned off in the rules"),
    "not_live": _("The program is not running"),
    "not_enrolled": _("No longer taking part"),
    "unpublished": _("The week is not published"),
    "not_staff": _("No longer a facilitator or admin"),
}


# A claim's rows go in groups of this many: one statement takes the people's message slots
# for a group right before it is sent, and one records the messages the server took, at the
# end of the group or RECORD_WITHIN seconds after the first of them went, whichever comes
# first. A worker killed in between sends those again (docs/nudges.md, "The honest limit"),
# and leaves the slots it took to their nudges (`Preference.last_nudge`).
SEND_GROUP = 25
RECORD_WITHIN = 0.25


def worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}"


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.NUDGES_LEASE_SECONDS)


def heartbeat_every() -> dt.timedelta:
    """How often a working claim renews its lease: a sixth of it, so a few missed beats
    (a slow message) still leave the rows held."""
    return lease() / 6


def claim_renew(*, token: str, now: dt.datetime) -> dt.datetime:
    """The claim's heartbeat: extend the lease of the rows it still holds; the new end.

    Its own short statement (autocommit), so the renewal is visible to other workers at once
    and holds no lock while the batch sends.
    """
    until = now + lease()
    sql.update(Nudge, {"claimed_by": token, "state": State.CLAIMED}, {"claimed_until": until})
    return until


def due(now: dt.datetime) -> Q:
    """Waiting rows whose time has come, and claims whose lease has run out."""
    return Q(state=State.PENDING, next_attempt_at__lte=now) | Q(
        state=State.CLAIMED, claimed_until__lte=now
    )


def due_count(*, now: dt.datetime, limit: int) -> int:
    return Nudge.objects.filter(due(now)).values("pk")[:limit].count()


def drop_stale(*, now: dt.datetime) -> int:
    """Catch-up after downtime: what is too late to be useful is dropped, not sent."""
    return Nudge.objects.filter(due(now), stale_at__lte=now).update(
        state=State.DROPPED, error="stale", claimed_by="", claimed_until=None
    )


def claim(*, limit: int, now: dt.datetime | None = None, worker: str = "") -> str | None:
    """Claim up to `limit` due rows for a while; the claim's token, or None if none was due."""
    now = now or timezone.now()
    token = f"{(worker or worker_name())[:40]}:{secrets.token_hex(8)}"
    claimed = {
        "state": State.CLAIMED,
        "claimed_by": token,
        "claimed_until": now + lease(),
    }
    oldest_first = ["next_attempt_at", "pk"]
    if connection.vendor == "postgresql":
        with transaction.atomic():
            ids = list(
                Nudge.objects.select_for_update(skip_locked=True)
                .filter(due(now))
                .order_by(*oldest_first)
                .values_list("pk", flat=True)[:limit]
            )
            count = Nudge.objects.filter(pk__in=ids).update(**claimed) if ids else 0
    else:
        # One statement, and SQLite has one writer at a time: the re-checked condition sees
        # every earlier claim, so no row is claimed twice.
        ids = Nudge.objects.filter(due(now)).order_by(*oldest_first).values("pk")[:limit]
        count = Nudge.objects.filter(due(now), pk__in=ids).update(**claimed)
    return token if count else None


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes, at most an hour."""
    return dt.timedelta(seconds=min(3600, 60 * 2 ** max(0, attempts - 1)))


def deliver(token: str) -> Counter:
    """Send every row of a claim, a group at a time; how many ended in each state."""
    rows = list(
        Nudge.objects.filter(claimed_by=token, state=State.CLAIMED)
        .select_related(
            "person",
            "program__organization",
            "unit",
            "seminar",
            "feedback__author",
        )
        .order_by("next_attempt_at", "pk")
    )
    batch = _Batch(rows, token)
    try:
        for start in range(0, len(rows), SEND_GROUP):
            batch.deliver_group(rows[start : start + SEND_GROUP])
    finally:
        batch.close()
        heartbeat.done.update(batch.counts)
    return batch.counts


class _Batch:
    """What the rows of one claim need, read in a fixed number of queries."""

    def __init__(self, rows: list[Nudge], token: str):
        self.token = token
        # The lease's end as this claim last set it; renewed while the batch sends.
        self.held_until = min((n.claimed_until for n in rows), default=timezone.now())
        self.counts = Counter()
        # Sent, not yet recorded: (nudge, channels, when the server took it, the group's now).
        self.unrecorded: list[tuple[Nudge, str, float, dt.datetime]] = []
        self.renderer = Renderer()
        self.email = channels.EmailChannel()
        self._push = None
        people = {n.person_id for n in rows}
        programs = {n.program_id: n.program for n in rows}
        self.rules = rules_map(programs.values())
        self.prefs = {p.person_id: p for p in Preference.objects.filter(person_id__in=people)}
        self.enrolled = set(
            Enrollment.objects.filter(
                user_id__in=people, program_id__in=programs, is_active=True, user__is_active=True
            ).values_list("program_id", "user_id")
        )
        retried = [n.pk for n in rows if n.attempts]
        self.done = defaultdict(set)  # channels that took a retried nudge before
        for nudge_id, channel in Delivery.objects.filter(nudge_id__in=retried, ok=True).values_list(
            "nudge_id", "channel"
        ):
            self.done[nudge_id].add(channel)
        self.subscriptions = defaultdict(list)
        if channels.push_configured():
            for subscription in PushSubscription.objects.filter(person_id__in=people):
                self.subscriptions[subscription.person_id].append(subscription)
        reminders = [n for n in rows if n.kind == Kind.REMINDER]
        self.active_in = set()
        self.last_active = {}
        self.reminded = defaultdict(list)
        if reminders:
            self._read_activity(reminders)
        digests = [n for n in rows if n.kind == Kind.DIGEST]
        self.staff = set()
        if digests:
            self.staff = set(
                Membership.objects.filter(
                    user_id__in={n.person_id for n in digests},
                    organization_id__in={n.program.organization_id for n in digests},
                    role__in=AUTHORS,
                    user__is_active=True,
                ).values_list("organization_id", "user_id")
            )

    def _read_activity(self, reminders: list[Nudge]) -> None:
        people = {n.person_id for n in reminders}
        programs = {n.program_id for n in reminders}
        responses = Response.objects.filter(
            enrollment__user_id__in=people, enrollment__program_id__in=programs
        )
        self.active_in = set(
            responses.filter(activity__unit_id__in={n.unit_id for n in reminders}).values_list(
                "enrollment__user_id", "activity__unit_id"
            )
        )
        for person, program, last in responses.values_list(
            "enrollment__user_id", "enrollment__program_id"
        ).annotate(last=Max("updated_at")):
            self.last_active[program, person] = last
        for person, program, sent_at in Nudge.objects.filter(
            kind=Kind.REMINDER, state=State.SENT, person_id__in=people, program_id__in=programs
        ).values_list("person_id", "program_id", "sent_at"):
            self.reminded[program, person].append(sent_at)

    @property
    def push(self) -> channels.PushChannel:
        if self._push is None:
            self._push = channels.PushChannel()
        return self._push

    def close(self) -> None:
        self.email.close()
        if self._push is not None:
            self._push.close()

    # The life of a group of nudges -----------------------------------------------------

    def deliver_group(self, group: list[Nudge]) -> None:
        """Check each nudge, take the slots of those still to send in one statement, send
        them, and record those the server took in one statement."""
        now = timezone.now()
        self._beat(now)
        ready, taken = self.prepare_group(group, now)
        try:
            for nudge, pref, ways, gap in ready:
                if nudge.pk not in taken:  # the slot was not free, or a second message to them
                    reserve = lambda n=nudge, p=pref, g=gap: self._reserve(n, p, g, now)  # noqa: E731
                    if self._guarded(nudge, reserve) is not None:
                        continue
                self._beat(timezone.now())  # a slow server: the group keeps its rows
                if self.unrecorded and time.monotonic() - self.unrecorded[0][2] > RECORD_WITHIN:
                    self._record_sent()  # and what it took is recorded before more goes
                self._guarded(nudge, lambda n=nudge, p=pref, w=ways: self._send(n, p, w, now))
        finally:
            self._record_sent()

    def prepare_group(self, group: list[Nudge], now: dt.datetime) -> tuple[list, set[int]]:
        """Check each nudge and take the message slots of those still to send: the nudges
        to send (with their preference, channels and gap), and those whose slot is taken."""
        ready: list[tuple[Nudge, Preference | None, list[str], dt.timedelta]] = []
        for nudge in group:
            self._guarded(nudge, lambda nudge=nudge: self._check(nudge, now, ready))
        return ready, self._reserve_group(ready, now)

    def _beat(self, now: dt.datetime) -> None:
        """Renew the claim's lease when a sixth of it has passed since the last beat."""
        if now >= self.held_until - lease() + heartbeat_every():
            self.held_until = claim_renew(token=self.token, now=now)

    def _guarded(self, nudge: Nudge, step) -> str | None:
        """Run one step of a nudge's life and count the state it ended in, if it ended."""
        try:
            state = step()
        except DatabaseError:
            raise  # the database is the batch's, not this message's: the lease retries all
        except Exception as error:
            # One message that cannot be made (a bad name in its subject, a broken
            # template) fails alone, with its reason, and the batch goes on.
            logger.exception("Nudge %s cannot be sent", nudge.key)
            state = self.fail(nudge, f"The message cannot be built: {error!r}")
        if state:
            self.counts[state] += 1
        return state

    def _check(self, nudge: Nudge, now: dt.datetime, ready: list) -> str | None:
        """What the rules and the person's choices say: the state the nudge ends in now, or
        None when it is to be sent (then it joins `ready`)."""
        if nudge.stale_at <= now:
            return self._finish(nudge, State.DROPPED, "stale")
        reason = self._not_needed(nudge, now)
        if reason:
            return self._finish(nudge, State.SKIPPED, reason)
        rules = self.rules[nudge.program_id]
        pref = self.prefs.get(nudge.person_id)
        zone = zone_of(pref, nudge.program)
        moment = next_allowed(now, rules, zone)
        if moment != now:  # outside the hours and days messages may arrive
            return self._postpone(nudge, moment)
        ways = self._channels(nudge, pref)
        if not ways:
            if self.done[nudge.pk]:
                return self._finish(nudge, State.SENT, "", sent_at=now)
            return self._finish(nudge, State.SKIPPED, "no_channel")
        # A retry of a message that reached the person one way already keeps no gap to itself.
        gap = dt.timedelta(0) if self.done[nudge.pk] else rules.gap
        ready.append((nudge, pref, ways, gap))
        return None

    def _reserve_group(self, ready: list, now: dt.datetime) -> set[int]:
        """Take the message slots of the first message to each person in `ready`, in one
        statement per gap and kind (`_take_slots`): the nudges whose slot it took. The
        others (a slot not free, a second message to one person) take theirs one by one
        (`_reserve`) right before they go, as a message sent meanwhile may change the answer.
        """
        first: dict[int, Nudge] = {}  # person → their first message in the group
        people: dict[tuple[dt.timedelta, bool], dict[int, int]] = defaultdict(dict)
        for nudge, _pref, _ways, gap in ready:
            if nudge.person_id not in first:
                first[nudge.person_id] = nudge
                people[gap, nudge.kind == Kind.REMINDER][nudge.person_id] = nudge.pk
        taken = set()
        for (gap, reminders), group in people.items():
            taken |= self._take_slots(group, gap=gap, reminders=reminders, now=now)
        return {first[person].pk for person in taken}

    def _take_slots(
        self, nudges: dict[int, int], *, gap: dt.timedelta, reminders: bool, now: dt.datetime
    ) -> set[int]:
        """Take the message slot of each of these people (person → the nudge to send them)
        who is on, not opted out and past the gap, in one UPDATE … RETURNING, naming the
        nudge on the slot: the people whose slot it took. A slot its nudge took before (a
        worker died holding it) counts as taken already."""
        people = sorted(nudges)
        marks = ", ".join(["%s"] * len(people))
        where = {"enabled": True} | ({"reminders": True} if reminders else {})
        conditions = [f"person_id IN ({marks})"]
        params: list = [*people]
        if gap:
            # A person's slot names one of their own nudges, so the nudge to send them.
            own = f"last_nudge_id IN ({marks})"
            conditions.append(f"(last_message_at IS NULL OR last_message_at <= %s OR {own})")
            params += [now - gap, *(nudges[person] for person in people)]
        if connection.vendor == "postgresql":
            # As in `_reserve`: a slot need not wait for the disk.
            conditions.append("set_config('synchronous_commit', 'off', true) <> ''")
        owners = sql.Expression(
            f"CASE person_id {'WHEN %s THEN %s ' * len(people)}END",
            [value for person in people for value in (person, nudges[person])],
        )
        return set(
            sql.update_returning(
                Preference,
                where,
                {"last_message_at": now, "last_nudge": owners},
                "person",
                extra=" AND ".join(conditions),
                params=params,
            )  # fmt: skip
        )

    def _not_needed(self, nudge: Nudge, now: dt.datetime) -> str:
        rules = self.rules[nudge.program_id]
        program = nudge.program
        if program.state != Program.State.LIVE:
            return "not_live"
        if nudge.kind == Kind.DIGEST:
            if not rules.digests:
                return "rules_off"
            if (program.organization_id, nudge.person_id) not in self.staff:
                return "not_staff"
            return ""
        if (program.pk, nudge.person_id) not in self.enrolled:
            return "not_enrolled"
        if nudge.kind == Kind.RELEASE:
            if not rules.releases:
                return "rules_off"
            if nudge.unit.published_at is None:
                return "unpublished"
        elif nudge.kind == Kind.REMINDER:
            if not rules.reminders:
                return "rules_off"
            if (nudge.person_id, nudge.unit_id) in self.active_in:
                return "active"
            last = self.last_active.get((program.pk, nudge.person_id))
            since = [
                at for at in self.reminded[program.pk, nudge.person_id] if not last or at > last
            ]
            if len(since) >= rules.max_reminders:
                return "paused"
        elif nudge.kind == Kind.SEMINAR:
            if not rules.seminars:
                return "rules_off"
        elif nudge.kind == Kind.FEEDBACK and not rules.feedback:
            return "rules_off"
        return ""

    def _channels(self, nudge: Nudge, pref: Preference | None) -> list[str]:
        ways = []
        if pref is None or pref.email:
            ways.append(Delivery.Channel.EMAIL)
        if (pref is None or pref.push) and self.subscriptions.get(nudge.person_id):
            ways.append(Delivery.Channel.PUSH)
        return [way for way in ways if way not in self.done[nudge.pk]]

    def _reserve(self, nudge, pref, gap, now) -> str | None:
        """Take the person's next message slot in one UPDATE: on, not opted out, gap kept
        (or the slot this nudge took before, as in `_take_slots`).

        Done at the moment of sending, so an unsubscribe counts at once, and two workers
        sending two nudges to one person cannot both pass the gap.
        """
        for _attempt in range(2):
            where = {"person_id": nudge.person_id, "enabled": True}
            if nudge.kind == Kind.REMINDER:
                where["reminders"] = True
            conditions = (
                ["(last_message_at IS NULL OR last_message_at <= %s OR last_nudge_id = %s)"]
                if gap
                else []
            )
            if connection.vendor == "postgresql":
                # A slot lost in a database crash only lets the next message come sooner: no
                # need to wait for the disk, unlike the record that a message went. Said in
                # the statement itself (its own transaction), so the slot costs one round trip.
                conditions.append("set_config('synchronous_commit', 'off', true) <> ''")
            taken = sql.update(
                Preference, where, {"last_message_at": now, "last_nudge": nudge.pk},
                extra=" AND ".join(conditions), params=[now - gap, nudge.pk] if gap else [],
            )  # fmt: skip
            if taken:
                return None
            pref = Preference.objects.filter(person_id=nudge.person_id).first()
            if pref is None:
                Preference.objects.get_or_create(person_id=nudge.person_id)
                continue
            break
        self.prefs[nudge.person_id] = pref
        if not pref.enabled:
            return self._finish(nudge, State.SKIPPED, "unsubscribed")
        if nudge.kind == Kind.REMINDER and not pref.reminders:
            return self._finish(nudge, State.SKIPPED, "reminders_off")
        rules = self.rules[nudge.program_id]
        return self._postpone(
            nudge, next_allowed(pref.last_message_at + gap, rules, zone_of(pref, nudge.program))
        )

    def _send(self, nudge: Nudge, pref, ways: list[str], now: dt.datetime) -> str:
        message = self.renderer.render(nudge, pref)
        deliveries, retry, refused = [], [], []
        for way in ways:
            try:
                if way == Delivery.Channel.EMAIL:
                    self.email.send_nudge(nudge, message)
                elif not self.push.send(self.subscriptions[nudge.person_id], nudge, message):
                    continue  # every subscription had expired: nothing was sent, nothing failed
            except channels.Retry as error:
                retry.append(str(error))
                deliveries.append(self._delivery(nudge, way, ok=False, error=str(error)))
            except channels.Refused as error:
                refused.append(str(error))
                deliveries.append(self._delivery(nudge, way, ok=False, error=str(error)))
            else:
                deliveries.append(self._delivery(nudge, way, ok=True))
        delivered = any(d.ok for d in deliveries)
        if not delivered:  # nothing reached the person: give their message slot back
            Preference.objects.filter(
                person_id=nudge.person_id, last_message_at=now, last_nudge_id=nudge.pk
            ).update(
                last_message_at=pref.last_message_at if pref else None,
                last_nudge_id=pref.last_nudge_id if pref else None,
            )
        sent = sorted({d.channel for d in deliveries if d.ok} | self.done[nudge.pk])
        if retry:
            attempts = nudge.attempts + 1
            later = now + backoff(attempts)
            error = "; ".join(retry + refused)
            if attempts < settings.NUDGES_MAX_ATTEMPTS and later < nudge.stale_at:
                return self._finish(
                    nudge, State.PENDING, error, deliveries=deliveries, attempts=attempts,
                    next_attempt_at=later,
                )  # fmt: skip
            state = State.SENT if sent else State.FAILED
            return self._finish(
                nudge, state, error, deliveries=deliveries, attempts=attempts,
                sent_at=now if sent else None, channels=",".join(sent),
            )  # fmt: skip
        if sent and not refused:
            # The row itself records the send (state, sent_at, channels), with the others
            # of its group (`_record_sent`).
            self.unrecorded.append((nudge, ",".join(sent), time.monotonic(), now))
            return State.SENT
        if sent:
            # Attempts that failed on the way are kept as deliveries, with the server's reason.
            failed = [d for d in deliveries if not d.ok]
            return self._finish(
                nudge, State.SENT, "; ".join(refused), deliveries=failed,
                sent_at=now, channels=",".join(sent),
            )  # fmt: skip
        if refused:
            return self._finish(nudge, State.FAILED, "; ".join(refused), deliveries=deliveries)
        return self._finish(nudge, State.SKIPPED, "no_channel", deliveries=deliveries)

    def fail(self, nudge: Nudge, error: str) -> str:
        """Mark one nudge failed for good, whatever it had reached."""
        return self._finish(nudge, State.FAILED, error)

    def _delivery(self, nudge: Nudge, way: str, *, ok: bool, error: str = "") -> Delivery:
        return Delivery(nudge=nudge, channel=way, ok=ok, error=error[:2000], worker=self.token[:64])

    def _postpone(self, nudge: Nudge, moment: dt.datetime) -> str:
        if moment >= nudge.stale_at:
            return self._finish(nudge, State.DROPPED, "stale")
        return self._finish(nudge, State.PENDING, "", next_attempt_at=moment)

    def _record_sent(self) -> None:
        """Record the messages the server took and not yet recorded: one UPDATE for each
        moment and set of channels (one for a whole group, as a rule), only for the rows
        this claim still holds. It waits for the disk: a sent mark must survive a crash."""
        unrecorded, self.unrecorded = self.unrecorded, []
        together = defaultdict(list)
        for nudge, ways, _took_at, now in unrecorded:
            together[now, ways].append(nudge)
        for (now, ways), nudges in together.items():
            held = Nudge.objects.filter(
                pk__in=[n.pk for n in nudges], claimed_by=self.token, state=State.CLAIMED
            ).update(
                state=State.SENT, error="", claimed_by="", claimed_until=None, sent_at=now,
                channels=ways,
            )  # fmt: skip
            if held < len(nudges):
                logger.warning(
                    "%d of %d nudges were claimed again while this worker sent them",
                    len(nudges) - held, len(nudges),
                )  # fmt: skip
            for nudge in nudges:
                if nudge.kind == Kind.REMINDER:
                    self.reminded[nudge.program_id, nudge.person_id].append(now)

    def _finish(self, nudge: Nudge, state: str, error: str, *, deliveries=(), **fields) -> str:
        """Record the outcome, only if this claim still holds the row."""
        fields |= {"state": state, "error": error[:2000], "claimed_by": "", "claimed_until": None}
        where = {"id": nudge.pk, "claimed_by": self.token, "state": State.CLAIMED}
        if deliveries:
            with transaction.atomic():
                held = sql.update(Nudge, where, fields)
                Delivery.objects.bulk_create(deliveries)
        else:
            held = sql.update(Nudge, where, fields)
        if not held:
            logger.warning("Nudge %s was claimed again while this worker sent it", nudge.key)
        if state == State.SENT and nudge.kind == Kind.REMINDER:
            self.reminded[nudge.program_id, nudge.person_id].append(fields.get("sent_at"))
        return state
