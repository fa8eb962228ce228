from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pocketmentor.lib.contrast import readable_on_white

hex_color = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."))


class Organization(models.Model):
    """A tenant: every row that belongs to an organization is reached through it."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="nb"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Oslo")
    primary_color = models.CharField(
        _("primary colour"), max_length=7, default="#0b5d6b", validators=[hex_color]
    )
    accent_color = models.CharField(
        _("accent colour"), max_length=7, default="#b4461e", validators=[hex_color]
    )
    require_two_factor = models.BooleanField(
        _("admins must use two-factor sign-in"),
        default=False,
        help_text=_(
            "An admin without an authenticator app or a passkey is sent to set one up before "
            "anything else. Signing in with the organization's own account counts as its own."
        ),
    )
    # Changes with every write its staff make: see learning/pages.py.
    pages_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name

    @property
    def brand_primary(self) -> str:
        """The primary colour as pages use it: white text on it stays readable."""
        return readable_on_white(self.primary_color)

    @property
    def brand_accent(self) -> str:
        return readable_on_white(self.accent_color)


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        FACILITATOR = "facilitator", _("Facilitator")
        PARTICIPANT = "participant", _("Participant")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    department = models.CharField(_("department"), max_length=200, blank=True)
    # When the last invitation e-mail went out; also paces resending.
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.organization})"


class WaitingFile(models.Model):
    """A people file an admin previewed, waiting for the confirm (people/importing.py): a day
    at most."""

    digest = models.CharField(max_length=64, primary_key=True)  # SHA-256 of the data
    data = models.BinaryField()
    kept_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.digest[:12]} ({self.kept_at:%Y-%m-%d %H:%M})"
