"""Passkeys as a second factor: django-otp-webauthn's ceremonies, a new one noted in the log.

Their routes are `passkey_urlpatterns` in `urls.py`, included at `/webauthn/` under the
namespace its scripts look for (`otp_webauthn`).
Signing in with a passkey alone is off (OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN): it checks
the person who already signed in with a password or a link.
"""

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
