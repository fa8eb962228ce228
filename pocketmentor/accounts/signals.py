"""What the accounts app tells the apps above it, which subscribe."""

from django.dispatch import Signal

# A person signed in with a sign-in link (`user`): a participant's sign-in.
link_signed_in = Signal()
