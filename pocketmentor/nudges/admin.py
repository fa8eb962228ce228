from django.contrib import admin

from pocketmentor.nudges.models import Delivery, Nudge, NudgeRules


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = ["channel", "at", "ok", "error", "worker"]


@admin.register(Nudge)
class NudgeAdmin(admin.ModelAdmin):
    """What was sent to whom and when; read-only, the worker alone writes these."""

    list_display = ["key", "kind", "person", "program", "state", "due_at", "sent_at", "attempts"]
    list_filter = ["state", "kind", "program"]
    search_fields = ["key", "person__email"]
    list_select_related = ["person", "program"]
    inlines = [DeliveryInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NudgeRules)
class NudgeRulesAdmin(admin.ModelAdmin):
    list_display = ["organization", "program", "day_starts", "day_ends", "working_days"]
    list_select_related = ["organization", "program"]
