"""Login throttling (django-axes, configured in perfbudget/lib/login_throttle.py), password
rules, session expiry."""

import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD, make_user
from perfbudget.lib.login_throttle import login_unlock

pytestmark = pytest.mark.django_db
LOCKED = "登录失败次数过多，请 15 分钟后再试"


def _login(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def _from(address: str, **extra) -> dict:
    return {"REMOTE_ADDR": address, **extra}


def test_wrong_password_gets_a_chinese_message(client, finance):
    response = _login(client, "finance1", "wrong")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_login_is_throttled_after_repeated_failures(client, finance, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        _login(client, "finance1", "wrong")
    response = _login(client, "finance1", PASSWORD)  # even the right password is refused now
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_full_width_spelling_of_a_locked_name_is_the_same_name(client, finance, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        _login(client, "finance1", "wrong")
    response = _login(client, "ｆｉｎａｎｃｅ１", PASSWORD)  # NFKC: finance1
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_full_width_failures_count_for_the_name(client, finance, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        _login(client, "ｆｉｎａｎｃｅ１", "wrong")
    assert LOCKED in _login(client, "finance1", PASSWORD).content.decode()


def test_the_lockout_lasts_the_documented_window(client, finance, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        _login(client, "finance1", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert LOCKED in _login(client, "finance1", PASSWORD).content.decode()
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _login(client, "finance1", PASSWORD).status_code == 302


def test_a_stranger_elsewhere_cannot_lock_a_user_out(finance, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    stranger, user = Client(), Client()
    for _ in range(5):
        _login(stranger, "finance1", "wrong", **_from("198.51.100.7"))
    assert (
        LOCKED in _login(stranger, "finance1", PASSWORD, **_from("198.51.100.7")).content.decode()
    )
    assert _login(user, "finance1", PASSWORD, **_from("192.0.2.10")).status_code == 302


def test_an_address_trying_many_names_is_locked_at_its_own_higher_limit(finance, auditor, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    client = Client()
    for i in range(5):
        _login(client, f"guess{i}", "wrong", **_from("198.51.100.7"))
    # Five failures of five names: no name at its limit, the address below its own.
    assert _login(Client(), "auditor1", PASSWORD, **_from("198.51.100.7")).status_code == 302
    _login(client, "guess5", "wrong", **_from("198.51.100.7"))
    assert LOCKED in _login(client, "finance1", PASSWORD, **_from("198.51.100.7")).content.decode()
    assert _login(Client(), "finance1", PASSWORD, **_from("192.0.2.10")).status_code == 302


def test_behind_a_trusted_proxy_clients_are_told_apart_by_x_forwarded_for(finance, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "127.0.0.1"
    for _ in range(3):
        # A client's own X-Forwarded-For entry (left) is not what identifies it.
        _login(
            Client(),
            "finance1",
            "wrong",
            **_from(proxy, HTTP_X_FORWARDED_FOR="192.0.2.10, 198.51.100.7"),
        )
    locked = _login(
        Client(), "finance1", PASSWORD, **_from(proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    )
    assert LOCKED in locked.content.decode()
    other = _login(
        Client(), "finance1", PASSWORD, **_from(proxy, HTTP_X_FORWARDED_FOR="192.0.2.10")
    )
    assert other.status_code == 302


def test_an_x_forwarded_for_entry_that_is_no_address_counts_as_the_remote_address(
    finance, settings
):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 1
    for junk in ("", "junk", "1.2.3.4.5"):
        response = _login(
            Client(), "finance1", "wrong", **_from("198.51.100.7", HTTP_X_FORWARDED_FOR=junk)
        )
        assert response.status_code in (200, 429)  # the third failure reaches the limit
    locked = _login(Client(), "finance1", PASSWORD, **_from("198.51.100.7"))
    assert LOCKED in locked.content.decode()


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(finance, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for i in range(3):
        _login(
            Client(),
            "finance1",
            "wrong",
            **_from("198.51.100.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}"),
        )
    response = _login(
        Client(), "finance1", PASSWORD, **_from("198.51.100.7", HTTP_X_FORWARDED_FOR="10.0.0.99")
    )
    assert LOCKED in response.content.decode()


def test_login_unlock_clears_a_users_lockouts(client, finance, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for address in ("198.51.100.7", "192.0.2.10"):
        for _ in range(3):
            _login(Client(), "finance1", "wrong", **_from(address))
    _login(Client(), "someone-else", "wrong", **_from("198.51.100.7"))
    assert login_unlock(username="ｆｉｎａｎｃｅ１") == 2
    assert AccessAttempt.objects.filter(username="someone-else").count() == 1
    assert _login(client, "finance1", PASSWORD, **_from("198.51.100.7")).status_code == 302


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


def test_the_admin_uses_the_throttled_login_page(client, finance, settings):
    response = client.get("/admin/")
    assert response.status_code == 302
    login = client.get(response.url)
    assert login.status_code == 302 and login.url == "/accounts/login/?next=/admin/"
    posted = client.post("/admin/login/", {"username": "finance1", "password": PASSWORD})
    assert posted.status_code == 302 and "_auth_user_id" not in client.session
    assert not AccessAttempt.objects.exists()


def _post_login(base: str, username: str, password: str) -> tuple[int, str]:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_racing_wrong_logins_check_no_more_passwords_than_the_limit(live_server, settings):
    """20 wrong logins for one name from one address at once, through a threaded server: each
    password check waits for the one before (a row lock on the account), so exactly
    LOGIN_FAILURE_LIMIT passwords are checked and every other attempt is refused unchecked."""
    settings.LOGIN_FAILURE_LIMIT = 5
    make_user("racer")
    results: list[tuple[int, str]] = []
    start = threading.Barrier(20)

    def attempt():
        start.wait()
        results.append(_post_login(live_server.url, "racer", "wrong"))

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 20
    checked = sum(a.failures_since_start for a in AccessAttempt.objects.filter(username="racer"))
    wrong = [status for status, page in results if "用户名或密码不正确" in page]
    locked = [status for status, page in results if LOCKED in page]
    assert checked == 5
    assert len(wrong) == 4 and len(locked) == 16 and set(locked) == {429}
