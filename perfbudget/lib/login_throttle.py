"""Login throttling: after repeated failures for a user name or from an address, further
attempts are refused for a while, whatever the password."""

import hashlib

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache

TOO_MANY = "登录失败次数过多，请 {minutes} 分钟后再试。"


def _keys(request, username: str) -> list[str]:
    address = request.META.get("REMOTE_ADDR", "") if request else ""
    # The name is hashed: whatever was typed makes a short key of safe characters.
    name = hashlib.sha256((username or "").strip().lower().encode()).hexdigest()
    return [f"login-fail:user:{name}", f"login-fail:addr:{address}"]


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        username = self.data.get("username", "")
        keys = _keys(self.request, username)
        limit = settings.LOGIN_FAILURE_LIMIT
        if any((cache.get(key) or 0) >= limit for key in keys):
            minutes = settings.LOGIN_FAILURE_WINDOW // 60
            raise forms.ValidationError(TOO_MANY.format(minutes=minutes), code="throttled")
        try:
            return super().clean()
        except forms.ValidationError:
            for key in keys:
                cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW)
                try:
                    cache.incr(key)
                except ValueError:
                    cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW)
            raise


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm
