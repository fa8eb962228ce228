import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from pocketmentor.nudges.models import WEEKDAYS, NudgeRules, Preference

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class RulesForm(forms.ModelForm):
    working_days = forms.MultipleChoiceField(
        label=_("Days messages may arrive"),
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = NudgeRules
        fields = [
            "day_starts",
            "day_ends",
            "working_days",
            "min_gap_hours",
            "releases",
            "reminders",
            "reminder_weekday",
            "reminder_time",
            "reminder_every_days",
            "max_reminders",
            "feedback",
            "seminars",
            "seminar_notice_days",
            "digests",
            "digest_weekday",
            "digest_time",
        ]
        widgets = {"day_starts": TIME, "day_ends": TIME, "reminder_time": TIME, "digest_time": TIME}

    def __init__(self, *args, instance: NudgeRules, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        self.initial["working_days"] = list(instance.working_days)

    def clean_working_days(self) -> str:
        return "".join(sorted(self.cleaned_data["working_days"]))

    def clean(self):
        data = super().clean()
        starts, ends = data.get("day_starts"), data.get("day_ends")
        if starts and ends and ends != dt.time(0, 0) and ends <= starts:
            self.add_error("day_ends", _("The end comes after the start (00:00 is midnight)."))
        return data


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = Preference
        fields = [
            "enabled",
            "email",
            "push",
            "reminders",
            "reminder_weekday",
            "reminder_time",
            "time_zone",
        ]
        widgets = {"reminder_time": TIME}
        labels = {"reminder_weekday": _("Remind me first on")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Not Django's blank "---------": an empty choice means the program's own day.
        weekday = self.fields["reminder_weekday"]
        weekday.choices = [("", _("The day the program says"))] + list(weekday.choices)[1:]
