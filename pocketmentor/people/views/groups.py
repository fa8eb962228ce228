"""Groups and seminars of a program (staff pages), and a seminar's calendar file (participants).

The staff pages' routes are in people/urls.py, under `/studio/`; the calendar file is for
participants, so its route is in `calendar_urlpatterns` there, included at the root.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pocketmentor.learning.models import Enrollment
from pocketmentor.learning.selectors import enrollment_for
from pocketmentor.lib.ordering import natural_key
from pocketmentor.lib.text import validate_one_line
from pocketmentor.orgs.permissions import AUTHORS, author_membership, staff_page
from pocketmentor.people import services as group_services
from pocketmentor.people.grouping import LARGEST, SMALLEST
from pocketmentor.people.selectors import roster_of
from pocketmentor.people.services import GroupStillInvited
from pocketmentor.programs.calendar import seminar_ics
from pocketmentor.programs.models import Group, Program, Seminar, SeminarUnit, Unit

GET_POST = ["GET", "POST"]
studio_page = staff_page(AUTHORS)


# Forms ----------------------------------------------------------------------------------------


class GroupForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name of the group"), max_length=100, validators=[validate_one_line]
    )

    def __init__(self, *args, program: Program, group: Group | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.program, self.group = program, group

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        # Case-blind: "Gruppe 1" and "gruppe 1" side by side would only confuse.
        taken = self.program.groups.filter(name__iexact=name)
        if self.group is not None:
            taken = taken.exclude(pk=self.group.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("The program already has a group called “%(name)s”. Choose another name.")
                % {"name": name}
            )
        return name


class SplitForm(forms.Form):
    size = forms.TypedChoiceField(
        label=gettext_lazy("Group size"),
        choices=[(n, n) for n in range(SMALLEST, LARGEST + 1)],
        coerce=int,
        initial=10,
        error_messages={"invalid_choice": gettext_lazy("Choose a group size from 6 to 12.")},
        help_text=gettext_lazy(
            "Groups come out as close to this size as the number allows, always 6 to 12 "
            "people (fewer than 6 make one group). Each group mixes departments."
        ),
    )
    who = forms.ChoiceField(
        label=gettext_lazy("Who to place"),
        choices=[
            ("ungrouped", gettext_lazy("Only participants without a group")),
            ("all", gettext_lazy("Everyone, also those who already have a group")),
        ],
        initial="ungrouped",
        widget=forms.RadioSelect,
    )


class _NaturalOrder(forms.models.ModelChoiceIterator):
    """Choices sorted as people count: "Gruppe 2" before "Gruppe 10"."""

    def __iter__(self):
        for obj in sorted(self.queryset, key=lambda o: natural_key(str(o))):
            yield self.choice(obj)


class _IdChoices(forms.ModelMultipleChoiceField):
    """Ticked rows by primary key; a value that is no 64-bit id is refused before any query
    (SQLite raises on a number past its integers instead of finding nothing)."""

    def clean(self, value):
        for pk in value or ():
            if not _is_id(str(pk)):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super().clean(value)


class _GroupChoices(_IdChoices):
    iterator = _NaturalOrder


class _WeekChoices(_IdChoices):
    def label_from_instance(self, unit: Unit) -> str:
        return _("Week %(number)s: %(title)s") % {"number": unit.number, "title": unit.title}


def _when(label):
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class SeminarForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Title"), max_length=200, validators=[validate_one_line]
    )
    starts_at = _when(gettext_lazy("Starts"))
    ends_at = _when(gettext_lazy("Ends"))
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)
    agenda = forms.CharField(
        label=gettext_lazy("Agenda"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "Markdown: **bold**, lists with “- ”, links. Participants see it on their phone "
            "and in their calendar."
        ),
    )
    groups = _GroupChoices(
        label=gettext_lazy("Groups taking part"),
        queryset=Group.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Tick none to invite every group, also groups made later."),
    )
    prework = _WeekChoices(
        label=gettext_lazy("Pre-work: weeks to do before the seminar"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    followup = _WeekChoices(
        label=gettext_lazy("Follow-up: weeks to do after the seminar"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, program: Program, seminar: Seminar | None = None, **kwargs):
        if seminar is not None:
            links = list(seminar.unit_links.all())
            kwargs.setdefault("initial", {}).update(
                title=seminar.title, starts_at=seminar.starts_at, ends_at=seminar.ends_at,
                place=seminar.place, agenda=seminar.agenda,
                groups=[g.pk for g in seminar.groups.all()],
                prework=[u.unit_id for u in links if u.kind == SeminarUnit.Kind.PREWORK],
                followup=[u.unit_id for u in links if u.kind == SeminarUnit.Kind.FOLLOWUP],
            )  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = program.groups.all()
        weeks = program.units.order_by("number")
        self.fields["prework"].queryset = self.fields["followup"].queryset = weeks

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends < starts:
            self.add_error(
                "ends_at", _("The seminar must end after it starts. Check the end date and time.")
            )
        both = {u.pk for u in data.get("prework", ())} & {u.pk for u in data.get("followup", ())}
        if both:
            self.add_error(
                "followup",
                _("A week can be pre-work or follow-up, not both. Untick it in one of the lists."),
            )
        return data


# Groups ---------------------------------------------------------------------------------------


def _groups_page(request, organization, program, *, new=None, split=None, status=200):
    roster = roster_of(program)
    context = {
        "org": organization,
        "program": program,
        "roster": roster,
        "group_count": len(roster.groups),
        "smallest": SMALLEST,
        "largest": LARGEST,
        "new_form": new or GroupForm(program=program),
        "split_form": split or SplitForm(),
    }
    return render(request, "people/groups.html", context, status=status)


def _to_groups(organization, program):
    return redirect("people:groups", organization.slug, program.slug)


@require_GET
@studio_page
def groups(request, organization, program: Program) -> HttpResponse:
    return _groups_page(request, organization, program)


@require_POST
@studio_page
def group_new(request, organization, program: Program) -> HttpResponse:
    form = GroupForm(request.POST, program=program)
    if form.is_valid():
        try:
            group = group_services.group_create(program=program, name=form.cleaned_data["name"])
        except IntegrityError:  # made by someone else since the form was checked
            form.add_error("name", _("That name was just taken. Choose another name."))
        else:
            messages.success(
                request, _("The group “%(name)s” is added. Move participants into it below.")
                % {"name": group.name},
            )  # fmt: skip
            return _to_groups(organization, program)
    return _groups_page(request, organization, program, new=form, status=400)


@require_http_methods(GET_POST)
@studio_page
def group_edit(request, organization, program: Program, group_id: int) -> HttpResponse:
    group = get_object_or_404(Group, program=program, pk=group_id)
    form = GroupForm(request.POST or None, program=program, group=group,
                     initial={"name": group.name})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            group_services.group_rename(group=group, name=form.cleaned_data["name"])
        except IntegrityError:
            form.add_error("name", _("That name was just taken. Choose another name."))
        else:
            messages.success(request, _("The group is renamed."))
            return _to_groups(organization, program)
    context = {"org": organization, "program": program, "group": group, "form": form}
    status = 400 if form.errors else 200
    return render(request, "people/groups_edit.html", context, status=status)


@require_http_methods(GET_POST)
@studio_page
def group_delete(request, organization, program: Program, group_id: int) -> HttpResponse:
    """Delete a group, asking first when it has members; they are left without a group."""
    group = get_object_or_404(Group, program=program, pk=group_id)
    members = group.enrollments.filter(is_active=True).count()
    error = ""
    if request.method == "POST" and (request.POST.get("confirm") or not members):
        try:
            group_services.group_delete(group=group)
        except GroupStillInvited as refused:
            error = ngettext(
                "“%(group)s” is the only group taking part in the seminar %(seminars)s. Add "
                "another group to that seminar, or delete the seminar, before deleting this "
                "group.",
                "“%(group)s” is the only group taking part in the seminars %(seminars)s. Add "
                "another group to those seminars, or delete them, before deleting this group.",
                len(refused.seminars),
            ) % {
                "group": group.name,
                "seminars": ", ".join(
                    _("“%(title)s”") % {"title": s.title} for s in refused.seminars
                ),
            }
        else:
            text = _("The group “%(name)s” is deleted.") % {"name": group.name}
            if members:
                text += " " + ngettext(
                    "Its participant now has no group; place them below.",
                    "Its %(count)s participants now have no group; place them below.",
                    members,
                ) % {"count": members}
            messages.success(request, text)
            return _to_groups(organization, program)
    context = {
        "org": organization, "program": program, "group": group, "members": members,
        "error": error,
    }  # fmt: skip
    return render(request, "people/groups_delete.html", context, status=409 if error else 200)


def _is_id(text: str) -> bool:
    """A primary key as a form sends it: ASCII digits, within a 64-bit integer."""
    return text.isascii() and text.isdigit() and int(text) < 2**63


@require_POST
@studio_page
def groups_move(request, organization, program: Program) -> HttpResponse:
    """Move the ticked participants to the chosen group, or out of every group."""
    ids = [int(pk) for pk in request.POST.getlist("enrollment") if _is_id(pk)]
    target = request.POST.get("group", "")
    group = None
    if target:
        if not _is_id(target):
            raise Http404
        group = get_object_or_404(Group, program=program, pk=int(target))
    if not ids:
        messages.error(request, _("Tick the participants to move first, then press Move."))
        return _to_groups(organization, program)
    moved = group_services.enrollment_move(program=program, enrollment_ids=ids, group=group)
    if group is None:
        text = ngettext(
            "%(count)s participant is now without a group.",
            "%(count)s participants are now without a group.",
            moved,
        ) % {"count": moved}
    else:
        text = ngettext(
            "%(count)s participant is moved to “%(group)s”.",
            "%(count)s participants are moved to “%(group)s”.",
            moved,
        ) % {"count": moved, "group": group.name}
    messages.success(request, text)
    return _to_groups(organization, program)


@require_POST
@studio_page
def groups_split(request, organization, program: Program) -> HttpResponse:
    """Split participants into groups; moving people who already have a group asks first."""
    form = SplitForm(request.POST)
    if not form.is_valid():
        return _groups_page(request, organization, program, split=form, status=400)
    size, everyone = form.cleaned_data["size"], form.cleaned_data["who"] == "all"
    active = Enrollment.objects.filter(program=program, is_active=True)
    grouped = active.filter(group__isnull=False).count() if everyone else 0
    if grouped and not request.POST.get("confirm"):
        context = {
            "org": organization, "program": program, "size": size, "grouped": grouped,
            "total": active.count(),
        }  # fmt: skip
        return render(request, "people/groups_split.html", context)
    made = group_services.groups_split(program=program, size=size, only_ungrouped=not everyone)
    if made:
        messages.success(
            request,
            ngettext(
                "The participants are placed in %(count)s group. Check it below and move "
                "anyone who should be elsewhere.",
                "The participants are placed in %(count)s groups. Check them below and move "
                "anyone who should be elsewhere.",
                len(made),
            )
            % {"count": len(made)},
        )
    else:
        messages.error(
            request,
            _("Everyone already has a group. To split again from the start, choose Everyone."),
        )
    return _to_groups(organization, program)


# Seminars -------------------------------------------------------------------------------------


@require_GET
@studio_page
def seminars(request, organization, program: Program) -> HttpResponse:
    listed = program.seminars.prefetch_related(
        "groups",
        Prefetch("unit_links", SeminarUnit.objects.select_related("unit").order_by("unit__number")),
    )
    context = {"org": organization, "program": program, "seminars": listed}
    return render(request, "people/seminars.html", context)


def _seminar_fields(data: dict) -> dict:
    return {name: data[name] for name in SeminarForm.base_fields}


@require_http_methods(GET_POST)
@studio_page
def seminar_new(request, organization, program: Program) -> HttpResponse:
    form = SeminarForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        group_services.seminar_save(program=program, **_seminar_fields(form.cleaned_data))
        messages.success(request, _("The seminar is saved. Participants see it on their phone."))
        return redirect("people:seminars", organization.slug, program.slug)
    context = {"org": organization, "program": program, "form": form}
    return render(request, "people/seminar_form.html", context, status=400 if form.errors else 200)


@require_http_methods(GET_POST)
@studio_page
def seminar_edit(request, organization, program: Program, seminar_id: int) -> HttpResponse:
    seminar = get_object_or_404(Seminar, program=program, pk=seminar_id)
    form = SeminarForm(request.POST or None, program=program, seminar=seminar)
    if request.method == "POST" and form.is_valid():
        group_services.seminar_save(
            program=program, seminar=seminar, **_seminar_fields(form.cleaned_data)
        )
        messages.success(request, _("The seminar is saved."))
        return redirect("people:seminars", organization.slug, program.slug)
    context = {"org": organization, "program": program, "form": form, "seminar": seminar}
    return render(request, "people/seminar_form.html", context, status=400 if form.errors else 200)


@require_http_methods(GET_POST)
@studio_page
def seminar_delete(request, organization, program: Program, seminar_id: int) -> HttpResponse:
    """Ask, then delete: the seminar leaves participants' pages and calendars stop updating."""
    seminar = get_object_or_404(Seminar, program=program, pk=seminar_id)
    if request.method == "POST":
        group_services.seminar_delete(seminar=seminar)
        messages.success(
            request, _("The seminar “%(title)s” is deleted.") % {"title": seminar.title}
        )
        return redirect("people:seminars", organization.slug, program.slug)
    context = {"org": organization, "program": program, "seminar": seminar}
    return render(request, "people/seminar_delete.html", context)


# The calendar file ----------------------------------------------------------------------------


@require_GET
@login_required
def seminar_calendar(request: HttpRequest, org: str, program: str, seminar_id: int):
    """The seminar as an .ics file: for the program's staff, and for its participants whose
    group takes part; 404 for anyone else, as on every participant page."""
    seminars = Seminar.objects.filter(
        program__organization__slug=org, program__slug=program, pk=seminar_id
    )
    try:
        author_membership(user=request.user, org_slug=org)
    except Http404:
        enrollment = enrollment_for(user=request.user, org_slug=org, program_slug=program)
        seminars = seminars.filter(Q(groups=None) | Q(groups=enrollment.group_id))
    seminar = get_object_or_404(seminars.distinct())
    response = HttpResponse(
        seminar_ics(seminar, now=timezone.now()), content_type="text/calendar; charset=utf-8"
    )
    name = slugify(seminar.title) or "seminar"
    response["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    patch_cache_control(response, private=True)
    return response
