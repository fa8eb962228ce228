from django.contrib import admin

from pocketmentor.learning.models import Enrollment

# Responses are not in the admin: reflections are private to their writers.


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["user", "program", "group", "is_active", "enrolled_at"]
    list_filter = ["program", "is_active", "group"]
    search_fields = ["user__email", "user__name"]
    list_select_related = ["user", "program", "group"]
    autocomplete_fields = ["user"]
