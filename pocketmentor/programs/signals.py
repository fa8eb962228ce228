"""What the programs app tells the apps above it, which subscribe."""

from django.dispatch import Signal

# Staff changed an organization's content outside a studio request (an import from the
# command line): `organization`. Participants' kept pages must be rendered afresh.
content_changed = Signal()
