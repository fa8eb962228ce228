"""What the participant app tells the apps above it (insights, nudges), which subscribe.

Each is sent inside the write's transaction, so a receiver's writes (a learning record)
commit or roll back with it; a receiver that must wait for the commit says so itself.
"""

from django.dispatch import Signal

# A new response was stored: `response`, `option_ids`.
response_recorded = Signal()
# A response's audiences are about to change to `audiences`, a list (sent before it is saved).
response_sharing = Signal()
# A facilitator or supporter replied to a shared reflection: `feedback`.
feedback_given = Signal()
# A peer reacted to what someone shared: `reaction`.
reaction_given = Signal()
# A participant opened a unit (`enrollment`, `unit`), the first time in a day in this process;
# without Redis only (with Redis the view is noted there for insights' worker: tracking.py).
unit_opened = Signal()
# A participant reached the end of a unit's cards (`enrollment`, `unit`), once a day.
cards_read = Signal()
# A participant recalled a key point: `answer` (a RecallAnswer, with its repetition and, for
# a quiz, the options chosen).
recall_answered = Signal()
