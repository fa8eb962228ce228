"""A person's own data: export and erasure, by the person or an admin on request."""

urlpatterns: list = []
