from django.contrib import admin

from pocketmentor.audit.models import Entry


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the app and pruned by the worker, never edited."""

    list_display = ["at", "organization", "action", "actor_label", "target", "address"]
    list_filter = ["action", "organization"]
    search_fields = ["actor_label", "target"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
