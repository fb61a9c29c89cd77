"""The account pages a user sees: password change inside the app, logging out, tab titles."""

import re

import pytest
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S)[1].strip()


def test_password_change_is_linked_from_the_user_menu_and_sits_in_the_apps_layout(client, finance):
    client.force_login(finance)
    home = client.get("/").content.decode()
    assert f'href="{reverse("password_change")}"' in home
    page = client.get(reverse("password_change")).content.decode()
    assert 'class="topbar' in page and "Django" not in page
    assert _title(page) == "修改密码 · 预算绩效目标管理"


def test_a_password_is_changed_and_a_bad_one_is_refused_in_chinese(client, finance):
    client.force_login(finance)
    url = reverse("password_change")
    refused = client.post(
        url, {"old_password": "wrong", "new_password1": "12345678", "new_password2": "12345678"}
    ).content.decode()
    assert "密码未修改" in refused and "Your old password" not in refused
    finance.refresh_from_db()
    assert finance.check_password(PASSWORD)
    new = "Qz7!tide-lantern"
    done = client.post(
        url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}, follow=True
    ).content.decode()
    assert "密码已修改" in done
    finance.refresh_from_db()
    assert finance.check_password(new)


def test_logging_out_says_so(client, finance):
    client.force_login(finance)
    page = client.post(reverse("logout"), follow=True).content.decode()
    assert "您已安全退出" in page and _title(page) == "登录 · 预算绩效目标管理"
    assert client.get("/").status_code == 302  # logged out indeed


@pytest.mark.parametrize(
    "url", ["/", reverse("projects:list"), reverse("unit_year:detail", args=["136001", 2024])]
)
def test_tab_titles_are_chinese(client, finance, url):
    client.force_login(finance)
    title = _title(client.get(url).content.decode())
    assert title.endswith(" · 预算绩效目标管理") and "perfbudget" not in title


@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/projects/2024/NO-SUCH/", 404, "页面不存在"),
        (reverse("unit_year:edit", args=["136001", 2024]), 403, "没有权限"),
    ],
)
def test_error_pages_keep_the_top_bar(client, auditor, url, status, heading):
    client.force_login(auditor)
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == status
    assert 'class="topbar' in page and heading in page and "修改密码" in page
