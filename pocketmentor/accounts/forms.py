from django import forms
from django.utils.translation import gettext_lazy as _


class LinkRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        error_messages={
            "required": _("Enter the e-mail address you were invited with."),
            "invalid": _("Enter a whole e-mail address, like kari@example.no."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
