from django.contrib import admin

from pocketmentor.programs.models import Activity, Card, Group, Option, Program, Seminar, Unit


class UnitInline(admin.TabularInline):
    model = Unit
    fields = ["number", "title", "summary"]
    show_change_link = True
    extra = 0


class CardInline(admin.StackedInline):
    model = Card
    extra = 0


class ActivityInline(admin.StackedInline):
    model = Activity
    show_change_link = True
    extra = 0


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "state", "start_date", "language"]
    list_filter = ["state", "organization"]
    inlines = [UnitInline]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["__str__", "program"]
    list_filter = ["program"]
    inlines = [CardInline, ActivityInline]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["__str__", "unit", "kind"]
    list_filter = ["kind", "unit__program"]
    inlines = [OptionInline]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "program"]
    list_filter = ["program"]


@admin.register(Seminar)
class SeminarAdmin(admin.ModelAdmin):
    list_display = ["title", "program", "starts_at", "place"]
    list_filter = ["program"]
