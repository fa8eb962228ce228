"""Passkeys as a second factor: django-otp-webauthn's ceremonies, a new one noted in the log.

Included at `/webauthn/` under the namespace its scripts look for (`otp_webauthn`).
Signing in with a passkey alone is off (OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN): it checks
the person who already signed in with a password or a link.
"""

from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views

from pocketmentor.accounts.two_factor import SESSION_KEY, passkey_added


class RegistrationComplete(views.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            passkey_added(request=self.request, user=self.request.user)
        return response


class AuthenticationComplete(views.CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        super().complete_auth(device)
        self.request.session.pop(SESSION_KEY, None)


app_name = "otp_webauthn"
urlpatterns = [
    path(
        "registration/begin/",
        views.BeginCredentialRegistrationView.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        RegistrationComplete.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        views.BeginCredentialAuthenticationView.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        AuthenticationComplete.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
