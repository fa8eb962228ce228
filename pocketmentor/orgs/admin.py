from django.contrib import admin, messages
from django.utils.translation import gettext as _

from pocketmentor.audit.services import Action, audit_record
from pocketmentor.lib.contrast import contrast
from pocketmentor.orgs.departments import departments_spelled
from pocketmentor.orgs.models import Membership, Organization


class MembershipInline(admin.TabularInline):
    model = Membership
    autocomplete_fields = ["user"]
    extra = 0


def _role_recorded(request, membership: Membership, before: str | None) -> None:
    """Log a role given, changed or taken away in the Django admin."""
    after = membership.role if membership.pk else None
    if before == after:
        return
    audit_record(
        action=Action.ROLE_CHANGE, organization=membership.organization, request=request,
        person=membership.user, target=f"{membership.user.email}: {before or '–'} → {after or '–'}",
    )  # fmt: skip


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "time_zone"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for label, chosen, used in [
            (_("primary colour"), obj.primary_color, obj.brand_primary),
            (_("accent colour"), obj.accent_color, obj.brand_accent),
        ]:
            if chosen.lower() != used:
                messages.warning(
                    request,
                    _(
                        "The %(label)s %(chosen)s is too light to read against white "
                        "(contrast %(ratio).1f:1, at least 4.5:1 is needed), so pages use the "
                        "darker %(used)s instead. Choose a darker colour to use your own."
                    )
                    % {
                        "label": label,
                        "chosen": chosen,
                        "ratio": contrast(chosen, "#ffffff"),
                        "used": used,
                    },
                )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "department"]
    list_filter = ["organization", "role"]
    search_fields = ["user__email", "user__name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "organization"]

    def save_model(self, request, obj, form, change):
        before = Membership.objects.filter(pk=obj.pk).values_list("role", flat=True).first()
        # The department as the organization already spells it ("helse " is "Helse").
        spelled = departments_spelled(organization_id=obj.organization_id, names=[obj.department])
        obj.department = spelled[obj.department]
        super().save_model(request, obj, form, change)
        _role_recorded(request, obj, before)

    def delete_model(self, request, obj):
        before, obj_pk = obj.role, obj.pk
        super().delete_model(request, obj)
        obj.pk = None
        _role_recorded(request, obj, before)
        obj.pk = obj_pk

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "organization"):
            self.delete_model(request, membership)
