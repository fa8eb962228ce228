"""What the insights app tells the apps above it (nudges), which subscribe.

The dashboard's reminder is sent as a nudge: insights keeps when a person was reminded, the
nudges app plans the message under its rules (preferences, working hours, the cap, the
unsubscribe link). Insights never imports nudges; it asks through this signal.
"""

from django.dispatch import Signal

# A facilitator asked, on the dashboard, to remind a participant at risk: `enrollment`, `now`.
# Sent inside the write's transaction. A receiver returns "" when the reminder is planned, or
# why it is not (a sentence for the facilitator); a refusal rolls the request back.
reminder_asked = Signal()
