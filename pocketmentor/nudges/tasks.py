"""Background tasks (Django's tasks framework, through the django-tasks backport).

The worker enqueues `deliver_due` for the rows that are due; whichever worker runs the task
claims a batch and sends it. The rows are the truth, not the queue: a task lost with a crashed
worker or a flushed Redis leaves rows that the next round claims again.
"""

from django_tasks import task

from pocketmentor.nudges import dispatch


@task()
def deliver_due(limit: int) -> int:
    """Claim up to `limit` due nudges and send them; how many were handled."""
    token = dispatch.claim(limit=limit)
    if token is None:
        return 0
    return sum(dispatch.deliver(token).values())
