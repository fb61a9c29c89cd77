"""A unit administrator's pages: the unit's people and their roles, its sections and its
settings. Same access rules as every page (`get_department_for_admin`): an outsider gets "not
found", a member who is not the unit's administrator 403. 系统管理 (`/admin/`) is for superusers."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from departments.access import get_department_for_admin, get_member_for_admin, manages_account
from departments.forms import (
    AdminSectionFormSet,
    PasswordSetForm,
    PersonNewForm,
    RolesForm,
    UnitSettingsForm,
)
from departments.models import DepartmentYear, Membership, Role
from departments.services import (
    UnitAdminRefused,
    account_active_set,
    account_name_set,
    account_password_set,
    member_create,
    member_remove,
    member_roles_set,
    person_state,
    sections_save,
    sections_state,
    unit_settings_save,
)
from perfbudget.lib.login_throttle import login_unlock


def _refusal(error: Exception) -> str:
    return "；".join(error.messages) if isinstance(error, ValidationError) else str(error)


def unit_manage(request: HttpRequest, code: str) -> HttpResponse:
    """People, sections, years and settings of one unit, on one page."""
    department, _ = get_department_for_admin(request.user, code)
    memberships = Membership.objects.filter(department=department).prefetch_related("sections")
    people = (
        get_user_model()
        .objects.filter(memberships__department=department)
        .distinct()
        .order_by("username")
        .prefetch_related(Prefetch("memberships", queryset=memberships, to_attr="unit_roles"))
    )
    return render(
        request,
        "departments/manage.html",
        {
            "department": department,
            "people": people,
            "sections": department.sections.order_by("retired", "order", "id"),
            "years": DepartmentYear.objects.filter(department=department).order_by("-year"),
            "settings_form": UnitSettingsForm(initial={"single_person": department.single_person}),
        },
    )


def _roles_initial(department, person) -> dict:
    memberships = Membership.objects.filter(user=person, department=department)
    return {
        "full_name": person.first_name,
        "roles": [m.role for m in memberships],
        "sections": [s for m in memberships if m.role == Role.CHIEF for s in m.sections.all()],
    }


@require_http_methods(["GET", "POST"])
def person_new(request: HttpRequest, code: str) -> HttpResponse:
    department, _ = get_department_for_admin(request.user, code)
    form = PersonNewForm(request.POST or None, department=department)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = member_create(
                department=department,
                username=data["username"],
                full_name=data["full_name"],
                password=data["password"],
                roles=set(data["roles"]),
                sections=list(data["sections"]),
                admin=request.user,
            )
        except (UnitAdminRefused, ValidationError) as refused:
            error = _refusal(refused)
        else:
            messages.success(request, f"已添加人员：{person.username}")
            return redirect("departments:manage", code)
    return render(
        request,
        "departments/person_form.html",
        {"department": department, "form": form, "error": error, "person": None},
    )


@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, code: str, user_id: int) -> HttpResponse:
    """A person's name, roles and sections in the unit, and the account's actions."""
    department, _ = get_department_for_admin(request.user, code)
    person = get_member_for_admin(department, user_id)
    form = RolesForm(
        request.POST or None, department=department, initial=_roles_initial(department, person)
    )
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                member_roles_set(
                    department=department,
                    person=person,
                    roles=set(data["roles"]),
                    sections=list(data["sections"]),
                    admin=request.user,
                    expected_state=request.POST.get("state", ""),
                )
                account_name_set(person=person, full_name=data["full_name"], admin=request.user)
        except (UnitAdminRefused, ValidationError) as refused:
            error = _refusal(refused)
        else:
            messages.success(request, f"已保存：{person.username}")
            return redirect("departments:manage", code)
    return render(
        request,
        "departments/person_form.html",
        {
            "department": department,
            "form": form,
            "error": error,
            "person": person,
            "manages_account": manages_account(request.user, person),
            "password_form": PasswordSetForm(),
            "state": request.POST.get("state") or person_state(department, person),
        },
    )


def _person_action(request, code: str, user_id: int, action) -> HttpResponse:
    department, _ = get_department_for_admin(request.user, code)
    person = get_member_for_admin(department, user_id)
    try:
        done = action(department, person)
    except (UnitAdminRefused, ValidationError) as refused:
        messages.error(request, f"未完成：{_refusal(refused)}")
        return redirect("departments:person", code, user_id)
    messages.success(request, done)
    return redirect("departments:manage", code)


@require_POST
def person_password(request: HttpRequest, code: str, user_id: int) -> HttpResponse:
    def action(department, person):
        form = PasswordSetForm(request.POST)
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        account_password_set(
            person=person, password=form.cleaned_data["password"], admin=request.user
        )
        return f"已重置 {person.username} 的密码，请告知本人登录后修改。"

    return _person_action(request, code, user_id, action)


@require_POST
def person_active(request: HttpRequest, code: str, user_id: int) -> HttpResponse:
    active = request.POST.get("active") == "1"

    def action(department, person):
        account_active_set(person=person, active=active, admin=request.user)
        return f"已{'恢复' if active else '停用'}账号：{person.username}"

    return _person_action(request, code, user_id, action)


@require_POST
def person_remove(request: HttpRequest, code: str, user_id: int) -> HttpResponse:
    def action(department, person):
        member_remove(department=department, person=person, admin=request.user)
        return f"已将 {person.username} 移出本单位（账号保留）。"

    return _person_action(request, code, user_id, action)


@require_POST
def person_unlock(request: HttpRequest, code: str, user_id: int) -> HttpResponse:
    """Lift a lockout after failed logins, so the person can log in at once."""

    def action(department, person):
        login_unlock(username=person.username)
        return f"已解除 {person.username} 的登录锁定。"

    return _person_action(request, code, user_id, action)


@require_http_methods(["GET", "POST"])
def sections_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Add, rename, order and retire the unit's sections."""
    department, _ = get_department_for_admin(request.user, code)
    sections = department.sections.order_by("order", "id")
    last = max((s.order for s in sections), default=0)
    formset = AdminSectionFormSet(
        request.POST or None,
        prefix="sec",
        queryset=sections,
        initial=[{"order": last + 1}],  # a new section goes after the others
    )
    error = None
    if request.method == "POST" and formset.is_valid():
        try:
            sections_save(
                department=department,
                formset=formset,
                expected_state=request.POST.get("state", ""),
            )
        except (UnitAdminRefused, ValidationError) as refused:
            error = _refusal(refused)
        else:
            messages.success(request, "科室已保存。")
            return redirect("departments:manage", code)
    return render(
        request,
        "departments/sections.html",
        {
            "department": department,
            "formset": formset,
            "error": error,
            "state": request.POST.get("state") or sections_state(department),
        },
    )


@require_POST
def unit_settings(request: HttpRequest, code: str) -> HttpResponse:
    department, _ = get_department_for_admin(request.user, code)
    form = UnitSettingsForm(request.POST)
    form.is_valid()  # a checkbox: always valid
    try:
        unit_settings_save(
            department=department, single_person=form.cleaned_data.get("single_person", False)
        )
    except UnitAdminRefused as refused:
        messages.error(request, f"未保存：{refused}")
    else:
        messages.success(request, "单位设置已保存。")
    return redirect("departments:manage", code)
