from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def percent(value) -> str:
    """A whole percentage as the language writes it: 48% in English, 48 % in Norwegian."""
    return _("%(percent)s%%") % {"percent": value}


@register.filter
def signed(value: int) -> str:
    """A change with its sign, and a true minus: +5, −3, 0."""
    return f"{value:+d}".replace("-", "−") if value else "0"
