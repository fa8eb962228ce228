import random
import uuid

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext_lazy as _

from pocketmentor.learning.models import RecallAnswer, Response
from pocketmentor.lib.text import validate_one_line
from pocketmentor.programs.models import Activity

TEXT_LIMIT = 5000


def option_order(activity: Activity, seed: str | None) -> list[tuple[int, str]]:
    """An activity's options (id, text) in the order of `seed` when one is given.

    The right answer is often written first: a quiz shows each person an order of their own,
    the same on every visit (seeded by them and the activity).
    """
    options = [(o.pk, o.text) for o in activity.options.all()]
    if seed is not None:
        random.Random(seed).shuffle(options)
    return options


def response_seed(activity: Activity, shuffle_for: int | None) -> str | None:
    """The seed of a person's order of an activity's options: quizzes only."""
    if activity.kind != Activity.Kind.QUIZ or shuffle_for is None:
        return None
    return f"{shuffle_for}:{activity.pk}"


def recall_seed(activity: Activity, shuffle_for: int | None) -> str | None:
    """The seed of a person's order of a recalled quiz's options."""
    return None if shuffle_for is None else f"recall:{shuffle_for}:{activity.pk}"


def choice_field(activity: Activity, *, many: bool, seed: str | None) -> forms.Field:
    """An activity's options to choose from, in the order of `seed` (`option_order`)."""
    options = option_order(activity, seed)
    field_class = forms.TypedMultipleChoiceField if many else forms.TypedChoiceField
    return field_class(
        label=_("Choose all that apply") if many else _("Choose one"),
        choices=options,
        coerce=int,
        widget=forms.CheckboxSelectMultiple if many else forms.RadioSelect,
        error_messages={"required": _("Choose an answer first.")},
    )


class PageRenderer(DjangoTemplates):
    """Django's form renderer, with the hidden inputs and text areas a participant page has
    many of written in Python, as their templates write them (each template took longer to
    render than the rest of its activity)."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if template_name in _WIDGETS else None
        if widget is None:
            return super().render(template_name, context, request)
        attrs = _attrs(widget["attrs"])
        if template_name == "django/forms/widgets/textarea.html":
            text = conditional_escape(widget["value"]) if widget["value"] else ""
            return (
                format_html('<textarea name="{}"', widget["name"]) + f"{attrs}>\n{text}</textarea>"
            )
        html = format_html('<input type="{}" name="{}"', widget["type"], widget["name"])
        if widget["value"] is not None:
            html += format_html(' value="{}"', str(widget["value"]))
        return html + f"{attrs}>"


_WIDGETS = {"django/forms/widgets/hidden.html", "django/forms/widgets/textarea.html"}


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html"""
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value))
        for name, value in attrs.items()
        if value is not False
    )


class ResponseForm(forms.Form):
    """One activity's answer; the fields follow the kind of activity."""

    default_renderer = PageRenderer
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        activity: Activity,
        response: Response | None = None,
        mine: dict | None = None,
        shuffle_for: int | None = None,
        **kwargs,
    ):
        """`mine`: the text and audiences the writer chose, shown over the stored ones.

        `shuffle_for` (the enrollment's id) shows a quiz's options in that person's own order.
        """
        kwargs.setdefault("prefix", f"a{activity.pk}")
        initial = {"key": uuid.uuid4(), "version": response.version if response else 0}
        if response is not None:
            initial |= {"text": response.text, "audiences": response.audiences}
        initial |= mine or {}
        super().__init__(*args, initial=initial, **kwargs)
        if self.is_bound and activity.takes_text:
            self.data = _legacy_sharing(self.data, self.add_prefix)
        self.activity = activity
        kind = activity.kind
        if activity.takes_text:
            # The version of the text this page shows: an edit from an older one is a conflict.
            # Pages from before versions existed send none, and are not checked.
            self.fields["version"] = forms.IntegerField(
                widget=forms.HiddenInput, required=False, min_value=0
            )
            self.fields["text"] = forms.CharField(
                label=_("Your reflection") if kind == Activity.Kind.REFLECTION else _("A note"),
                required=kind == Activity.Kind.REFLECTION,
                max_length=TEXT_LIMIT,
                strip=True,
                widget=forms.Textarea(attrs={"rows": 4}),
                error_messages={"required": _("Write a few words before you save.")},
            )
            self.fields["audiences"] = forms.MultipleChoiceField(
                label=_("Share with"),
                help_text=_(
                    "Only you see it when nothing is ticked."
                    " The facilitators also see what you share with your group."
                ),
                choices=Response.Audience.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        elif kind == Activity.Kind.QUIZ or not activity.is_scale:
            quiz = kind == Activity.Kind.QUIZ
            self.fields["choice"] = choice_field(
                activity, many=quiz and activity.multiple, seed=response_seed(activity, shuffle_for)
            )
        else:
            self.fields["value"] = forms.TypedChoiceField(
                label=_("Your answer"),
                choices=[(v, str(v)) for v in activity.scale],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose a point on the scale first.")},
            )

    def answer(self) -> dict:
        """The cleaned answer, as keyword arguments for `response_record`."""
        data = self.cleaned_data
        choice = data.get("choice")
        return {
            "key": data["key"],
            "text": data.get("text", ""),
            "value": data.get("value"),
            "option_ids": choice if isinstance(choice, list) else [choice] if choice else [],
            "audiences": data.get("audiences") or [],
            "version": data.get("version"),
        }


def _legacy_sharing(data, add_prefix):
    """A page or a phone's queued answer from before audiences could be combined sends one
    `visibility` ("private", "group", …) and no `audiences`: read it as that one audience."""
    old, new = add_prefix("visibility"), add_prefix("audiences")
    if old not in data or new in data:
        return data
    data = data.copy()
    value = data.get(old)
    chosen = [value] if value in Response.Audience.values else []
    if hasattr(data, "setlist"):
        data.setlist(new, chosen)
    else:
        data[new] = chosen
    return data


class FeedbackForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write a reply before you send it.")},
    )


class SupporterForm(forms.Form):
    name = forms.CharField(
        label=_("Their name"), max_length=150, required=False, validators=[validate_one_line]
    )
    email = forms.EmailField(
        label=_("Their e-mail address"),
        error_messages={"invalid": _("Enter a whole e-mail address, like kari@example.no.")},
    )


class RecallForm(forms.Form):
    """A recall: a quiz's choice again, or how well the participant remembered (FSRS rating)."""

    default_renderer = PageRenderer
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, question, shuffle_for: int | None = None, **kwargs):
        kwargs.setdefault("prefix", f"r{question.pk}")
        super().__init__(*args, initial={"key": uuid.uuid4()}, **kwargs)
        self.question = question
        activity = question.activity
        if activity is not None:
            seed = recall_seed(activity, shuffle_for)
            self.fields["choice"] = choice_field(activity, many=activity.multiple, seed=seed)
        else:
            # Sent by the button the participant pressed: one press answers.
            self.fields["rating"] = forms.TypedChoiceField(
                choices=RecallAnswer.Rating.choices,
                coerce=int,
                widget=forms.HiddenInput,
                error_messages={"required": _("Choose how well you remembered it.")},
            )

    @property
    def ratings(self):
        return RecallAnswer.Rating.choices

    def answer(self) -> dict:
        data = self.cleaned_data
        choice = data.get("choice")
        return {
            "key": data["key"],
            "rating": data.get("rating"),
            "option_ids": choice if isinstance(choice, list) else [choice] if choice else [],
        }
