"""What `/metrics` says beyond django-prometheus's request figures: the work in the database.

Read at each scrape from rows every node shares, so any web server answers for all workers.
"""

from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from pocketmentor.nudges import dispatch
from pocketmentor.nudges.models import WorkerHeartbeat

DUE_COUNTED_UP_TO = 1_000_000  # a bound on the count, so a scrape never scans a backlog whole


class WorkCollector:
    def collect(self):
        due = GaugeMetricFamily(
            "pocketmentor_messages_due", "Messages due now and not yet sent (e-mail, push)."
        )
        due.add_metric([], dispatch.due_count(now=timezone.now(), limit=DUE_COUNTED_UP_TO))
        yield due
        labels = ["worker", "host"]
        last = GaugeMetricFamily(
            "pocketmentor_worker_last_round_timestamp_seconds",
            "When each worker last finished a round (Unix time).",
            labels=labels,
        )
        sent = CounterMetricFamily(
            "pocketmentor_messages_sent",
            "Messages sent by each worker since it started.",
            labels=labels,
        )
        failed = CounterMetricFamily(
            "pocketmentor_messages_failed",
            "Messages that failed for good, by worker since it started.",
            labels=labels,
        )
        forwarded = CounterMetricFamily(
            "pocketmentor_learning_records_forwarded",
            "Learning records forwarded to the LRS by each worker since it started.",
            labels=labels,
        )
        for beat in WorkerHeartbeat.objects.order_by("name"):
            names = [beat.name, beat.host]
            last.add_metric(names, beat.last_round_at.timestamp())
            sent.add_metric(names, beat.messages_sent, created=beat.started_at.timestamp())
            failed.add_metric(names, beat.messages_failed, created=beat.started_at.timestamp())
            forwarded.add_metric(names, beat.records_forwarded, created=beat.started_at.timestamp())
        yield from (last, sent, failed, forwarded)


def work_metrics() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WorkCollector())
    return generate_latest(registry)
