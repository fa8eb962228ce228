"""`make cluster-test`: two web nodes and two workers behind Caddy, and a journey across them."""

import os

from django.core.management.base import BaseCommand, CommandError

from pocketmentor.bench import cluster


class Command(BaseCommand):
    help = (
        "Start two web nodes, two workers and a Caddy proxy on loopback on a throwaway "
        "PostgreSQL database, and walk a journey across them (docs/deploy.md)."
    )

    def handle(self, *args, **options):
        redis_url = os.environ.get("REDIS_URL", "")
        if not redis_url:
            raise CommandError(
                "Set REDIS_URL to a Redis database the run may empty, e.g. "
                "redis://127.0.0.1:6379/14: the nodes share it."
            )
        if cluster.run(redis_url=redis_url):
            raise CommandError("The cluster test failed.")
