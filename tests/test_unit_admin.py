"""A unit administrator's pages: people and roles, sections, years and settings — each change
allowed inside the unit, and nothing outside it reachable or told."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from conftest import PASSWORD
from departments.models import DepartmentYear, Membership, Role, Section
from projects.models import BudgetYear

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Another-Passw0rd-77"


def _url(name, *args):
    return reverse(f"departments:{name}", args=["136001", *args])


def _state(client, url) -> str:
    """The state the page carries (a save is refused when it no longer matches)."""
    return re.search(r'name="state" value="([0-9a-f]+)"', client.get(url).content.decode())[1]


def _sections_page(unit, extra: int = 0) -> tuple[list, dict]:
    """The unit's sections and the sections page's form data as shown, with `extra` blank rows."""
    sections = list(unit.sections.order_by("order", "id"))
    data = {"sec-TOTAL_FORMS": len(sections) + extra, "sec-INITIAL_FORMS": len(sections)}
    data.update({"sec-MIN_NUM_FORMS": 0, "sec-MAX_NUM_FORMS": 1000})
    for i, s in enumerate(sections):
        data.update({f"sec-{i}-id": s.pk, f"sec-{i}-order": s.order, f"sec-{i}-name": s.name})
    return sections, data


def _roles(user, unit):
    return sorted(
        Membership.objects.filter(user=user, department=unit).values_list("role", flat=True)
    )


def test_the_page_lists_the_units_people_only(client, unit_admin, finance, chief, outsider):
    client.force_login(unit_admin)
    html = client.get(_url("manage")).content.decode()
    assert "finance1" in html and "chief1" in html and "outsider1" not in html
    assert "单位管理" in client.get("/").content.decode()


def test_add_a_person_with_roles_and_sections(client, unit_admin, unit):
    client.force_login(unit_admin)
    section = unit.sections.first()
    response = client.post(
        _url("person_new"),
        {
            "username": "zhangsan",
            "full_name": "张三",
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "roles": ["finance", "chief"],
            "sections": [section.pk],
        },
    )
    assert response.status_code == 302
    person = get_user_model().objects.get(username="zhangsan")
    assert person.check_password(NEW_PASSWORD) and person.first_name == "张三"
    assert _roles(person, unit) == ["chief", "finance"]
    chief = Membership.objects.get(user=person, role=Role.CHIEF)
    assert list(chief.sections.all()) == [section]
    assert chief.history.first().history_user == unit_admin


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"username": "finance1"}, "该用户名已被使用"),
        ({"password": "123", "password2": "123"}, "密码"),
        ({"password2": "different-Passw0rd"}, "两次输入的密码不一致"),
        ({"roles": ["chief"], "sections": []}, "科室负责人须选择负责的科室"),
        ({"roles": ["root"]}, "不在可用的选项中"),
        ({"username": "bad name!"}, "用户名"),
    ],
)
def test_a_refused_new_person_changes_nothing(client, unit_admin, finance, changes, message):
    client.force_login(unit_admin)
    before = get_user_model().objects.count(), Membership.objects.count()
    data = {
        "username": "lisi",
        "full_name": "李四",
        "password": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "roles": ["finance"],
        **changes,
    }
    response = client.post(_url("person_new"), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert (get_user_model().objects.count(), Membership.objects.count()) == before


def test_a_section_of_another_unit_cannot_be_given(client, unit_admin, chief, other_unit):
    foreign = Section.objects.create(department=other_unit, name="外单位的科")
    client.force_login(unit_admin)
    url = _url("person", chief.pk)
    data = {"roles": ["chief"], "sections": [foreign.pk], "state": _state(client, url)}
    response = client.post(url, data)
    assert response.status_code == 200
    assert not Membership.objects.filter(sections=foreign).exists()


def test_change_roles_and_sections(client, unit_admin, chief, unit):
    client.force_login(unit_admin)
    first = unit.sections.first()
    url = _url("person", chief.pk)
    response = client.post(
        url,
        {
            "full_name": "王科长",
            "roles": ["chief", "auditor"],
            "sections": [first.pk],
            "state": _state(client, url),
        },
    )
    assert response.status_code == 302
    assert _roles(chief, unit) == ["auditor", "chief"]
    assert list(Membership.objects.get(user=chief, role=Role.CHIEF).sections.all()) == [first]
    chief.refresh_from_db()
    assert chief.first_name == "王科长"


def test_people_of_other_units_are_not_found(client, unit_admin, outsider):
    client.force_login(unit_admin)
    for name in ("person", "person_password", "person_active", "person_remove", "person_unlock"):
        method = client.get if name == "person" else client.post
        assert method(_url(name, outsider.pk), {"active": "0"}).status_code == 404
        assert method(_url(name, 999999), {"active": "0"}).status_code == 404
    outsider.refresh_from_db()
    assert outsider.is_active and outsider.check_password(PASSWORD)


def test_reset_a_password_and_stop_an_account(client, unit_admin, finance):
    client.force_login(unit_admin)
    client.post(
        _url("person_password", finance.pk), {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    finance.refresh_from_db()
    assert finance.check_password(NEW_PASSWORD)
    client.post(_url("person_active", finance.pk), {"active": "0"})
    finance.refresh_from_db()
    assert not finance.is_active
    assert not client.login(username="finance1", password=NEW_PASSWORD)
    client.force_login(unit_admin)
    client.post(_url("person_active", finance.pk), {"active": "1"})
    finance.refresh_from_db()
    assert finance.is_active


def test_an_account_shared_with_another_unit_is_not_the_units_to_change(
    client, unit_admin, finance, other_unit
):
    """A unit administrator may change the person's roles in their unit, but not the account
    that another unit relies on too: no password reset, no stop, no new name — and the message
    names no other unit."""
    Membership.objects.create(user=finance, department=other_unit, role=Role.AUDITOR)
    client.force_login(unit_admin)
    response = client.post(
        _url("person_password", finance.pk),
        {"password": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    html = response.content.decode()
    assert (
        "只能由系统管理员" in html and other_unit.name not in html and other_unit.code not in html
    )
    client.post(_url("person_active", finance.pk), {"active": "0"})
    finance.refresh_from_db()
    assert finance.check_password(PASSWORD) and finance.is_active
    assert other_unit.name not in client.get(_url("person", finance.pk)).content.decode()


def test_a_superuser_account_is_not_the_units_to_change(client, unit_admin, unit):
    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    Membership.objects.create(user=root, department=unit, role=Role.AUDITOR)
    client.force_login(unit_admin)
    client.post(
        _url("person_password", root.pk), {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    root.refresh_from_db()
    assert root.check_password(PASSWORD)


def test_an_administrator_keeps_their_own_admin_role_and_account(client, unit_admin, unit):
    client.force_login(unit_admin)
    url = _url("person", unit_admin.pk)
    response = client.post(url, {"roles": ["finance"], "state": _state(client, url)})
    assert "不能取消自己的管理员角色" in response.content.decode()
    client.post(_url("person_active", unit_admin.pk), {"active": "0"})
    client.post(_url("person_remove", unit_admin.pk))
    unit_admin.refresh_from_db()
    assert unit_admin.is_active and _roles(unit_admin, unit) == ["admin"]


def test_remove_a_person_from_the_unit(client, unit_admin, auditor, unit):
    client.force_login(unit_admin)
    client.post(_url("person_remove", auditor.pk))
    assert _roles(auditor, unit) == []
    auditor.refresh_from_db()
    assert auditor.is_active


def test_sections_add_rename_order_and_retire(client, unit_admin, finance, unit):
    client.force_login(unit_admin)
    sections, data = _sections_page(unit, extra=1)
    data["sec-0-name"] = "综合办公室"
    data["sec-1-retired"] = "on"
    n = len(sections)
    data.update({f"sec-{n}-order": 9, f"sec-{n}-name": "新设科"})
    version = DepartmentYear.objects.get(year=2024).version
    data["state"] = _state(client, _url("sections"))
    assert client.post(_url("sections"), data).status_code == 302
    assert unit.sections.get(pk=sections[0].pk).name == "综合办公室"
    assert unit.sections.get(pk=sections[1].pk).retired
    assert unit.sections.filter(name="新设科").exists()
    # An open 第一部分 editor page is now stale; the retired section is offered to nothing new.
    assert DepartmentYear.objects.get(year=2024).version == version + 1
    client.force_login(finance)
    html = client.get(reverse("projects:new") + "?department=136001&year=2024").content.decode()
    assert sections[1].name not in html and "新设科" in html


def test_a_duplicate_section_name_is_refused(client, unit_admin, unit):
    client.force_login(unit_admin)
    sections, data = _sections_page(unit, extra=1)
    n = len(sections)
    data.update({f"sec-{n}-order": 9, f"sec-{n}-name": sections[0].name})
    data["state"] = _state(client, _url("sections"))
    response = client.post(_url("sections"), data)
    assert response.status_code == 200 and "本单位已有同名科室" in response.content.decode()
    assert unit.sections.count() == n


def test_open_a_year_that_the_superuser_has_set(client, unit_admin, unit):
    client.force_login(unit_admin)
    url = reverse("unit_year:new", args=["136001"])
    response = client.post(url, {"year": "2031"}, follow=True)
    assert "预算年度尚未设置" in response.content.decode()
    assert not BudgetYear.objects.filter(year=2031).exists()
    BudgetYear.objects.create(year=2031, framework=BudgetYear.objects.get(year=2024).framework)
    response = client.post(url, {"year": "2031"})
    assert response.status_code == 302
    assert DepartmentYear.objects.filter(department=unit, year=2031).exists()
    assert "已有2031年" in client.post(url, {"year": "2031"}, follow=True).content.decode()


def test_the_one_person_setting_is_recorded_with_who(client, unit_admin, unit):
    client.force_login(unit_admin)
    client.post(_url("settings"), {"single_person": "on"})
    unit.refresh_from_db()
    assert unit.single_person
    assert unit.history.first().history_user == unit_admin


def test_a_locked_out_person_is_unlocked_by_their_unit_administrator(
    client, unit_admin, finance, settings
):
    from django.test import Client

    settings.LOGIN_FAILURE_LIMIT = 3

    def login(password):
        return Client().post("/accounts/login/", {"username": "finance1", "password": password})

    for _ in range(3):
        login("wrong")
    assert login(PASSWORD).status_code == 429
    client.force_login(unit_admin)
    response = client.post(_url("person_unlock", finance.pk), follow=True)
    assert "已解除 finance1 的登录锁定" in response.content.decode()
    assert login(PASSWORD).status_code == 302


def test_two_administrators_on_one_person_page_never_undo_each_other(
    client, unit_admin, chief, unit
):
    """Two tabs: the first saves; the second, opened before, is refused with its input kept."""
    client.force_login(unit_admin)
    url = _url("person", chief.pk)
    opened = _state(client, url)
    section = unit.sections.first().pk
    first = {"roles": ["chief", "auditor"], "sections": [section], "state": opened}
    assert client.post(url, first).status_code == 302
    second = {"roles": ["chief"], "sections": [section], "state": opened}
    response = client.post(url, second)
    assert "其他管理员已修改了这些内容" in response.content.decode()
    assert _roles(chief, unit) == ["auditor", "chief"]


def test_two_administrators_on_the_sections_page_never_undo_each_other(client, unit_admin, unit):
    client.force_login(unit_admin)
    sections, base = _sections_page(unit)
    opened = _state(client, _url("sections"))
    renamed = {**base, "sec-3-name": "财务科（改名）", "state": opened}
    assert client.post(_url("sections"), renamed).status_code == 302
    retired = {**base, "sec-1-retired": "on", "state": opened}
    response = client.post(_url("sections"), retired)
    assert "其他管理员已修改了这些内容" in response.content.decode()
    assert unit.sections.get(pk=sections[3].pk).name == "财务科（改名）"
    assert not unit.sections.get(pk=sections[1].pk).retired


@pytest.mark.parametrize("password", ["123", "password", "finance1x", "12345678901"])
def test_every_password_rule_speaks_chinese(client, unit_admin, finance, password):
    client.force_login(unit_admin)
    response = client.post(
        _url("person_password", finance.pk),
        {"password": password, "password2": password},
        follow=True,
    )
    html = response.content.decode()
    assert "未完成" in html
    message = re.search(r'class="message-error">(.*?)</li>', html, re.S)[1]
    assert not re.search(r"[A-Za-z]{4,}", message.replace(password, "")), message


def test_a_unit_of_several_people_cannot_be_marked_one_person(client, unit_admin, finance, unit):
    client.force_login(unit_admin)
    response = client.post(_url("settings"), {"single_person": "on"}, follow=True)
    assert "本单位现有 2 人" in response.content.decode()
    unit.refresh_from_db()
    assert not unit.single_person


def test_a_new_empty_section_goes_last_and_stays_out_of_existing_years(client, unit_admin, unit):
    client.force_login(unit_admin)
    page = client.get(_url("sections")).content.decode()
    last = max(unit.sections.values_list("order", flat=True))
    assert f'name="sec-{unit.sections.count()}-order" value="{last + 1}"' in page
    sections, data = _sections_page(unit, extra=1)
    n = len(sections)
    data.update({f"sec-{n}-order": last + 1, f"sec-{n}-name": "新媒体科"})
    data["state"] = _state(client, _url("sections"))
    assert client.post(_url("sections"), data).status_code == 302
    part_one = client.get(reverse("unit_year:detail", args=["136001", 2024]))
    assert "新媒体科" not in part_one.content.decode()
