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
