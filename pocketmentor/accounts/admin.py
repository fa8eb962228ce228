from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from pocketmentor.accounts.models import User


@admin.register(User)
class PersonAdmin(UserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "language", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "language"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "name", "language", "password"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "name", "language"]})]
    readonly_fields = ["last_login", "date_joined"]

    def save_model(self, request, obj, form, change) -> None:
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Links already sent and open sessions end with the old password hash (sesame).
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)
