"""Every model has an admin, and its pages open for an administrator."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ("departments", "projects", "indicators")


def _domain_models():
    return [
        m
        for app in DOMAIN_APPS
        for m in apps.get_app_config(app).get_models()
        if not m.__name__.startswith("Historical")
    ]


@pytest.mark.parametrize("model", _domain_models(), ids=lambda m: m.__name__)
def test_every_model_is_in_the_admin_and_its_pages_open(client, reference, model):
    assert model in admin.site._registry
    superuser = get_user_model().objects.create_superuser("root", password="x-Passw0rd-1")
    client.force_login(superuser)
    opts = model._meta
    assert (
        client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code
        == 200
    )
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200
    obj = model.objects.first()
    if obj is not None:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert client.get(url).status_code == 200


def _admin_urls(model, obj):
    opts = model._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}"
    urls = [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
    if obj is not None:
        history = reverse(f"{prefix}_history", args=[obj.pk])
        urls += [reverse(f"{prefix}_change", args=[obj.pk]), history]
        record = obj.history.first() if hasattr(obj, "history") else None
        if record is not None:
            urls.append(f"{history}{record.history_id}/")
    return urls


@pytest.mark.parametrize("model", _domain_models(), ids=lambda m: m.__name__)
def test_a_staff_unit_administrator_with_every_permission_gets_nothing_in_the_admin(
    client, reference, unit_admin, model
):
    """系统管理 belongs to superusers: a unit administrator made staff with every permission
    reads no list, record or history there, and cannot revert one (issue: the history "revert"
    form rewrote other units' records)."""
    from django.contrib.auth.models import Permission

    unit_admin.is_staff = True
    unit_admin.save()
    unit_admin.user_permissions.set(Permission.objects.all())
    client.force_login(unit_admin)
    obj = model.objects.first()
    before = list(model.objects.values())
    for url in _admin_urls(model, obj):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response.url, url
        response = client.post(url, {"name": "改写"})
        assert response.status_code == 302 and "/admin/login/" in response.url, url
    assert list(model.objects.values()) == before
    assert client.get(reverse("admin:index")).status_code == 302
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 302


def test_the_start_page_links_to_the_admin_for_superusers_only(client, unit_admin):
    client.force_login(unit_admin)
    assert "系统管理" not in client.get("/").content.decode()
    root = get_user_model().objects.create_superuser("root", password="x-Passw0rd-1")
    client.force_login(root)
    assert "系统管理" in client.get("/").content.decode()


def test_the_admin_speaks_chinese(client, reference):
    # Labels, the app list's heads, the lockout records, the history list and the user pages:
    # no English word where 系统管理 shows text of its own.
    import re

    from django.contrib import admin
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    english = {}
    for model in admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        urls = [base, base + "add/"]
        first = model.objects.first()
        if first is not None:
            urls += [f"{base}{first.pk}/change/", f"{base}{first.pk}/history/"]
        for url in urls:
            html = client.get(url).content.decode()
            text = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", html, flags=re.S)
            # Key names in the two-list widget's Chinese hint (按住 “Control”…) are not words.
            words = set(re.findall(r"\b[A-Z][a-z]{2,}\b", text)) - {"Control", "Command", "Mac"}
            if words:
                english[url] = sorted(words)
    assert english == {}


def test_the_interface_is_chinese_whatever_language_the_browser_asks_for(client, reference):
    # The app is Chinese only: an English browser (Accept-Language: en-US) turned 系统管理 and
    # Django's own messages into English.
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Site administration" not in page and "站点管理" in page


def test_the_admin_scripts_speak_chinese_and_pages_carry_the_icon(client, reference):
    # The two-list widget (人员的负责科室) drew "Choose 负责科室 by selecting them …": strings of
    # Django's script that its Chinese catalog lacks. Every string the widget asks for has a
    # Chinese entry in the catalog the admin pages load.
    import json
    import re
    from pathlib import Path

    import django
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    catalog = client.get("/admin/jsi18n/").content.decode()
    start = catalog.index("const newcatalog =")
    entries = json.loads(catalog[catalog.index("{", start) : catalog.index("};", start) + 1])
    script = Path(django.__file__).parent / "contrib/admin/static/admin/js/SelectFilter2.js"
    asked = set(re.findall(r"gettext\((['\"])(.*?)\1\)", script.read_text()))
    missing = [
        text
        for _, text in asked
        if not re.search(r"[\u4e00-\u9fff]", entries.get(text.replace('\\"', '"'), ""))
    ]
    assert missing == []
    page = client.get("/admin/departments/membership/add/").content.decode()
    assert 'rel="icon"' in page
