import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from pocketmentor.lib.text import validate_one_line
from pocketmentor.lib.video import video_for
from pocketmentor.programs import media
from pocketmentor.programs.models import Activity, Card, Program, Unit
from pocketmentor.programs.services import available_templates

ZONES = ["Europe/Oslo", "Europe/Stockholm", "Europe/Copenhagen", "Europe/Helsinki",
         "Europe/London", "Europe/Berlin", "UTC"]  # fmt: skip


# Letters that Unicode does not decompose into a base letter, spelled as Nordic writers do.
_SPELLED = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "Ae", "Ø": "O", "Å": "A", "ß": "ss"})


def short_name(title: str) -> str:
    """A link-friendly short name from a title: "Ny leder høst" gives "ny-leder-host"."""
    return slugify(title.translate(_SPELLED))[:50]


class ProgramForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=[(z, z) for z in ZONES])

    class Meta:
        model = Program
        fields = ["title", "slug", "description", "language", "start_date", "release_time",
                  "time_zone"]  # fmt: skip
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "release_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "description": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"slug": _("Used in links: letters, digits and dashes.")}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        if self.instance.pk is None:
            self.fields["slug"].required = False
            self.fields["template"] = forms.ChoiceField(
                label=_("Start from"),
                choices=[("", _("An empty program"))] + list(available_templates().items()),
                required=False,
            )
            self.initial.setdefault("start_date", timezone.localdate() + dt.timedelta(days=14))
            self.initial.setdefault("language", organization.language)

    def clean_title(self) -> str:
        validate_one_line(self.cleaned_data["title"])
        return self.cleaned_data["title"]

    def clean_slug(self):
        slug = self.cleaned_data.get("slug") or short_name(self.cleaned_data.get("title", ""))
        taken = Program.objects.filter(organization=self.organization, slug=slug)
        if taken.exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Another program already uses this short name."))
        if not slug:
            raise ValidationError(_("Give the program a short name of letters and digits."))
        return slug

    def _post_clean(self):
        self.instance.organization = self.organization
        super()._post_clean()


class DuplicateForm(forms.Form):
    title = forms.CharField(
        label=_("Title of the copy"), max_length=200, validators=[validate_one_line]
    )
    start_date = forms.DateField(
        label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"})
    )


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["title", "summary"]

    def clean_title(self) -> str:
        validate_one_line(self.cleaned_data["title"])
        return self.cleaned_data["title"]


class CardForm(forms.ModelForm):
    url = forms.CharField(label=_("Link (image or video)"), max_length=200, required=False)
    image = forms.FileField(
        label=_("Upload an image"),
        required=False,
        help_text=_("JPEG, PNG, WebP or GIF, at most 10 MB. It is resized for phones."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    # Which fields each kind of card uses; the editor hides the others when JavaScript runs.
    USED_BY = {
        "body": "text quote image video", "url": "image video", "image": "image",
        "caption": "quote image video", "captions": "video",
    }  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, kinds in self.USED_BY.items():
            self.fields[name].widget.attrs["data-kinds"] = kinds

    class Meta:
        model = Card
        fields = ["kind", "body", "url", "caption", "captions"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8}), "captions": forms.TextInput()}

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        self.image = media.image_check(upload) if upload else None
        return upload

    def clean(self):
        data = super().clean()
        kind, url = data.get("kind"), data.get("url", "")
        if url and not url.startswith(("https://", "/media/")):
            self.add_error("url", _("Give a whole link that starts with https://."))
        self.image = getattr(self, "image", None)
        if kind == Card.Kind.TEXT and not data.get("body"):
            self.add_error("body", _("Write the card's text."))
        if kind == Card.Kind.QUOTE and not data.get("body"):
            self.add_error("body", _("Write the quote."))
        if kind == Card.Kind.IMAGE:
            if not url and not self.image:
                self.add_error("image", _("Upload an image or give a link to one."))
            if not data.get("caption"):
                self.add_error("caption", _("Describe the image for people who cannot see it."))
        if kind == Card.Kind.VIDEO and not video_for(url):
            self.add_error(
                "url",
                _("Give a YouTube or Vimeo link, or an https link to an MP4 file."),
            )
        return data


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["prompt", "multiple", "scale_min", "scale_max", "scale_low", "scale_high"]
        widgets = {"prompt": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind != Activity.Kind.QUIZ:
            del self.fields["multiple"]
        if kind != Activity.Kind.POLL:
            for name in ("scale_min", "scale_max", "scale_low", "scale_high"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        low, high = data.get("scale_min"), data.get("scale_max")
        if (low is None) != (high is None):
            self.add_error("scale_max", _("Give both ends of the scale, or neither."))
        elif low is not None and low >= high:
            self.add_error("scale_max", _("The scale must end higher than it starts."))
        return data


class OptionForm(forms.Form):
    text = forms.CharField(label=_("Option"), max_length=300, required=False)
    is_correct = forms.BooleanField(label=_("Right answer"), required=False)
    feedback = forms.CharField(
        label=_("Feedback"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


OptionFormSet = forms.formset_factory(OptionForm, extra=0)


def options_from(formset, *, kind: str, multiple: bool, is_scale: bool) -> list[dict]:
    """The filled-in options, or a ValidationError that says what the activity lacks."""
    options = [f.cleaned_data for f in formset if f.cleaned_data.get("text")]
    if kind == Activity.Kind.QUIZ:
        right = sum(1 for o in options if o["is_correct"])
        if len(options) < 2:
            raise ValidationError(_("A quiz needs at least two options."))
        if right == 0:
            raise ValidationError(_("Mark the right answer."))
        if right > 1 and not multiple:
            raise ValidationError(
                _("Only one option can be right, unless several answers are allowed.")
            )
    if kind == Activity.Kind.POLL and not is_scale and len(options) < 2:
        raise ValidationError(_("A poll needs a scale or at least two options."))
    if kind == Activity.Kind.POLL:
        options = [o | {"is_correct": False} for o in options]
    return options


class RecallForm(forms.Form):
    """A key point written for recall: a question, and the answer shown after thinking."""

    prompt = forms.CharField(
        label=_("Question"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_('Like "What was the point of …?" Markdown.'),
        error_messages={"required": _("Write the question.")},
    )
    answer = forms.CharField(
        label=_("Answer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown after the participant has thought. Markdown."),
        error_messages={"required": _("Write the answer the participant checks against.")},
    )
