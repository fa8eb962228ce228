"""System checks of the project's settings, run by `serve`, `migrate` and `check`."""

from email.utils import parseaddr

from django.conf import settings
from django.core.checks import Warning, register

LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver", "::1"}


@register()
def sender_is_a_real_address(app_configs, **kwargs) -> list[Warning]:
    """Mail from a localhost address is refused or taken for spam once real people get it."""
    if set(settings.ALLOWED_HOSTS) <= LOCAL_HOSTS:
        return []  # a laptop: mail stays in the console or the outbox
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2].lower()
    if domain and domain != "localhost" and not domain.endswith((".localhost", ".local")):
        return []
    return [
        Warning(
            f"DEFAULT_FROM_EMAIL is {settings.DEFAULT_FROM_EMAIL!r}: mail servers refuse mail "
            "from such an address or take it for spam.",
            hint="Send from a domain of your own, e.g. "
            "DEFAULT_FROM_EMAIL='Fjordvik kommune <learning@fjordvik.no>' (docs/deploy.md).",
            id="pocketmentor.W001",
        )
    ]
