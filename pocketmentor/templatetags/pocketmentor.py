from django import template
from django.urls import reverse
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from pocketmentor.lib.markdown import render_markdown
from pocketmentor.lib.video import Video, video_for
from pocketmentor.nudges.heartbeat import QUIET_AFTER, workers_quiet

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    return mark_safe(render_markdown(text or ""))  # noqa: S308 - sanitised by nh3


@register.filter
def choice_input(choice) -> SafeString:
    """A radio button's or check box's <input>, as Django's widget template writes it.

    Participant pages have a dozen of them; Django renders each through a template of its
    own, which was a fifth of the time a unit page took to render.
    """
    data = choice.data
    attrs = {"type": data["type"], "name": data["name"]}
    if data["value"] is not None:
        attrs["value"] = data["value"]
    html = "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in (attrs | data["attrs"]).items()
        if value is not False
    )
    return mark_safe(f"<input{html}>")  # noqa: S308 - each part escaped by format_html


@register.simple_tag
def brand_stylesheet(org) -> SafeString:
    """The organization's colours as CSS variables, from a stylesheet of their own: the
    Content-Security-Policy allows no inline <style>."""
    url = reverse("brand_css", args=[org.brand_primary, org.brand_accent])
    return format_html('<link rel="stylesheet" href="{}">', url)


@register.filter
def bar_step(percent) -> str:
    """The class of a bar `percent` wide, in steps of 5 (no style attribute: see the CSP)."""
    try:
        value = min(max(float(percent), 0.0), 100.0)
    except (TypeError, ValueError):
        value = 0.0
    return f"w{int(round(value / 5) * 5)}"


@register.filter
def video(url: str) -> Video | None:
    return video_for(url or "")


@register.simple_tag
def app_text() -> SafeString:
    """The messages app.js shows, in the page's language."""
    return json_script(
        {
            "queued": _("Waiting to be sent"),
            "waiting_one": _(
                "1 answer is saved on this phone. It will be sent when you are online."
            ),
            "waiting_many": _(
                "{n} answers are saved on this phone. They will be sent when you are online."
            ),
            "sent_one": _("Your answer saved on this phone has been sent."),
            "sent_many": _("All {n} answers saved on this phone have been sent."),
            "sign_in_again": _("Sign in again to send the answers saved on this phone."),
            "sign_in": _("Get a new sign-in link"),
            "sign_in_url": reverse("accounts:request_link"),
            "token_url": reverse("learning:offline"),
            "retry_one": _(
                "1 answer is saved on this phone. The server did not take it yet; "
                "it will be sent again shortly."
            ),
            "retry_many": _(
                "{n} answers are saved on this phone. The server did not take them yet; "
                "they will be sent again shortly."
            ),
            "queued_sign_in": _("Waiting to be sent: sign in again to send it."),
            "not_saved": _("Not saved yet. It is kept on this phone until you save it again."),
            "needs_you": _("An answer saved on this phone was not accepted and needs you:"),
            "gone": _(
                "An answer saved on this phone cannot be sent, because its activity is no longer "
                "open. Copy the text if you want to keep it."
            ),
            "remove": _("Remove it from this phone"),
        },
        "pm-text",
    )


@register.simple_tag
def workers_warning() -> str:
    """A notice for admins when no worker has run lately: no message is going out."""
    if not workers_quiet():
        return ""
    return format_html(
        '<p class="notice warning" role="alert">{}</p>',
        _(
            "Messages are not going out: no worker has run for %(minutes)d minutes. "
            "Ask whoever runs this installation to start pocketmentor worker."
        )
        % {"minutes": int(QUIET_AFTER.total_seconds() // 60)},
    )
