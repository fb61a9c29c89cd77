"""Login throttling with django-axes, configured in settings (AXES_*): failed logins are kept in
the database, counted per user name and client address and, with a higher limit, per address
alone; while either count is at its limit, logins are refused whatever the password.

What axes does not do the way this app needs is here: the user name as Django's auth reads it
(NFKC), the client address taken from the proxy only when a setting says the proxy is trusted,
two limits instead of one, one password check at a time per account, the message in Chinese,
and `login_unlock` for a unit administrator's page."""

import ipaddress
import unicodedata
from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.db import transaction

TOO_MANY = "登录失败次数过多，请 {minutes} 分钟后再试。"


def normalized_username(request, credentials: dict | None) -> str:
    """AXES_USERNAME_CALLABLE: the name as Django's auth compares it (NFKC, as UsernameField
    and AbstractBaseUser.normalize_username do), so a full-width spelling of a locked name is
    the same name."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials and credentials.get(field) is not None:
        name = credentials[field]
    else:
        name = request.POST.get(field, "") if request is not None else ""
    # Cut to what the attempts table holds (no real name is this long; the form refuses them).
    return unicodedata.normalize("NFKC", str(name))[:255]


def client_address(request) -> str:
    """AXES_CLIENT_IP_CALLABLE: REMOTE_ADDR, unless TRUSTED_PROXY_COUNT proxies are in front:
    then the address the outermost trusted proxy saw, which is that many entries from the
    right of X-Forwarded-For (each proxy appends the address it received the request from;
    what the client wrote itself stands further left and is never read). Hand-written because
    django-ipware's proxy count does not fit a single proxy that sets the header."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [h for h in hops if h]
    if len(hops) < count:
        return remote
    try:  # a proxy writes an address; anything else means no proxy wrote it
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


def failure_limit(request, credentials) -> int:
    """AXES_FAILURE_LIMIT: read at each login, so LOGIN_FAILURE_LIMIT can change in tests."""
    return settings.LOGIN_FAILURE_LIMIT


def failure_window(request=None) -> timedelta:
    """AXES_COOLOFF_TIME: LOGIN_FAILURE_WINDOW seconds after the last failure."""
    return timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)


class LoginThrottleHandler(AxesDatabaseHandler):
    """Two limits: LOGIN_FAILURE_LIMIT for a user name from one address, and the higher
    LOGIN_ADDRESS_FAILURE_LIMIT for an address whatever the names (one client trying many
    accounts). Axes compares a single count with a single limit: an address at its own limit
    counts as the user-and-address limit reached."""

    def get_failures(self, request, credentials=None) -> int:
        by_user_and_address, by_address = (
            sum(attempts.values_list("failures_since_start", flat=True))
            for attempts in self.get_user_attempts(request, credentials)
        )
        if by_address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(by_user_and_address, settings.LOGIN_FAILURE_LIMIT)
        return by_user_and_address


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' check before any password is compared. A call of authenticate() without a request
    comes from code (a command, a test), not from a login form: nothing to throttle."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        # AuthenticationForm never checks the name's length: one longer than any user's is
        # refused as a wrong login, without being looked up or counted.
        username = self.cleaned_data.get("username") or ""
        if len(username) > (self.fields["username"].max_length or 150):
            raise self.get_invalid_login_error()
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                minutes = settings.LOGIN_FAILURE_WINDOW // 60
                raise forms.ValidationError(
                    TOO_MANY.format(minutes=minutes), code="throttled"
                ) from None
            raise


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm

    def post(self, request, *args, **kwargs):
        # One password check at a time per existing account: parallel guesses wait for each
        # other, so each sees the failures recorded before it and none gets past the limit.
        name = unicodedata.normalize("NFKC", request.POST.get("username", ""))
        with transaction.atomic():
            list(get_user_model().objects.select_for_update().filter(username=name)[:1])
            return super().post(request, *args, **kwargs)


def lockout_response(request, original_response, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the login page with its message (ThrottledAuthenticationForm),
    answered as 429 Too Many Requests."""
    original_response.status_code = 429
    return original_response


def login_unlock(*, username: str) -> int:
    """Clear every recorded failed login of a user name (from any address), so that the user
    can log in at once; returns how many records were removed. For a unit administrator's page,
    which checks that the caller may manage that user."""
    name = unicodedata.normalize("NFKC", username)
    count, _ = AccessAttempt.objects.filter(username=name).delete()
    return count
