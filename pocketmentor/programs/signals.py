"""What the programs app tells the apps above it, which subscribe."""

from django.dispatch import Signal

# Staff changed an organization's content outside a studio request (an import from the
# command line): `organization`. Participants' kept pages must be rendered afresh.
content_changed = Signal()
# Key points were added to units that participants may have done already: `questions`, a
# list of RecallQuestion (learning schedules them for those participants).
recall_added = Signal()
