"""Login throttling, password rules, session expiry."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_wrong_password_gets_a_chinese_message(client, finance):
    response = _login(client, "finance1", "wrong")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_login_is_throttled_after_repeated_failures(client, finance, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        _login(client, "finance1", "wrong")
    response = _login(client, "finance1", PASSWORD)  # even the right password is refused now
    assert "登录失败次数过多，请 15 分钟后再试" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_correct_login_still_works_below_the_limit(client, finance):
    _login(client, "finance1", "wrong")
    response = _login(client, "finance1", PASSWORD)
    assert response.status_code == 302


@pytest.mark.parametrize("password", ["demo", "12345678", "password"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_sessions_expire(settings):
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
