from django.contrib import admin

from pocketmentor.orgs.models import Group, Membership, Organization, Seminar


class MembershipInline(admin.TabularInline):
    model = Membership
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "time_zone"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "department"]
    list_filter = ["organization", "role"]
    search_fields = ["user__email", "user__name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "organization"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "program"]
    list_filter = ["program"]


@admin.register(Seminar)
class SeminarAdmin(admin.ModelAdmin):
    list_display = ["title", "program", "starts_at", "place"]
    list_filter = ["program"]
