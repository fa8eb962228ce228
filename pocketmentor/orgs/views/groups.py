"""Groups and seminars of a program (staff pages)."""

urlpatterns: list = []
