"""People in an organization: import, invitations, deactivation (staff pages)."""

urlpatterns: list = []
