from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit
from sesame.utils import get_user

from pocketmentor.accounts import signals
from pocketmentor.accounts.forms import LinkRequestForm
from pocketmentor.accounts.models import User
from pocketmentor.accounts.services import login_link_request, person_language, person_language_set
from pocketmentor.lib.http import after_response

ALL = ["GET", "POST"]


# Sign-in link limits (settings RATELIMIT_*, docs/configuration.md; staff passwords are
# lockout.py's). The client's address is the one behind trusted proxies (lib/proxies.py);
# hundreds of people may share it, so the limits that stop one client are per person and per
# browser, and the address's own is generous.
def _rate(name: str):
    return lambda group, request: getattr(settings, name)


def _person_asked_for(group: str, request: HttpRequest) -> str:
    return request.POST.get("email", "").strip().lower()


def _browser(group: str, request: HttpRequest) -> str:
    return request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")


def _browser_rate(group: str, request: HttpRequest) -> str | None:
    """A browser is known by its CSRF cookie, which every form post carries; none, no limit."""
    return settings.RATELIMIT_LINK_PER_BROWSER if _browser(group, request) else None


@require_http_methods(ALL)
@ratelimit(key="ip", rate=_rate("RATELIMIT_SIGN_IN_PER_ADDRESS"), method=ALL)
def link(request: HttpRequest) -> HttpResponse:
    """Show a sign-in button for a valid link; sign in only on the POST.

    Mail scanners open links to check them; a GET that signed in would use up the link.
    """
    token = request.POST.get("t") if request.method == "POST" else request.GET.get("t", "")
    user = get_user(token or "", update_last_login=request.method == "POST")
    if user is None:
        if request.user.is_authenticated:
            return redirect(settings.LOGIN_REDIRECT_URL)
        context = {"form": LinkRequestForm(), "link_failed": True}
        return render(request, "accounts/request_link.html", context, status=410)
    if request.method == "GET":
        translation.activate(person_language(user))
        return render(request, "accounts/confirm.html", {"token": token, "person": user})
    login(request, user, backend="pocketmentor.accounts.backends.LinkBackend")
    signals.link_signed_in.send(User, user=user)
    return redirect(settings.LOGIN_REDIRECT_URL)


@require_http_methods(ALL)
@ratelimit(key=_person_asked_for, rate=_rate("RATELIMIT_LINK_PER_PERSON"), method="POST")
@ratelimit(key=_browser, rate=_browser_rate, method="POST")
@ratelimit(key="ip", rate=_rate("RATELIMIT_LINK_PER_ADDRESS"), method="POST")
def request_link(request: HttpRequest) -> HttpResponse:
    """Send a new sign-in link; say the same whether or not the address is known."""
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        response = render(request, "accounts/link_sent.html", {"email": email})
        # The address is looked up, and the message built and sent, only once the answer
        # is on its way: known and unknown addresses are answered alike, in the same time.
        return after_response(response, login_link_request, email=email)
    status = 400 if form.is_bound else 200
    return render(request, "accounts/request_link.html", {"form": form}, status=status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    response = redirect(settings.LOGOUT_REDIRECT_URL)
    # The phone forgets the person's pages and whatever the app kept for them, even when the
    # page's own script (which clears them too) did not run.
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """Remember the chosen language on the person, or in a cookie before sign-in."""
    code = request.POST.get("language", "")
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    response = redirect(next_url)
    if check_for_language(code) and code in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            person_language_set(user=request.user, language=code)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, samesite="Lax")
    return response


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "accounts/rate_limited.html", status=429)
