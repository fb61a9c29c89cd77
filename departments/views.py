from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from departments.access import (
    can_write,
    get_department_year_for_user,
    unit_access,
)
from departments.forms import DepartmentYearForm, SectionFormSet, SectionIndicatorFormSet
from departments.models import SectionIndicator
from departments.part_one import build_part_one
from departments.services import (
    RATING_NOT_YOURS,
    RatingRefused,
    StaleDepartmentYear,
    department_year_save,
    rating_record,
)
from perfbudget.lib.grades import Grade, Status
from perfbudget.lib.numbers import number_or_none


def department_year_detail(request: HttpRequest, code: str, year: int) -> HttpResponse:
    department_year = get_department_year_for_user(request.user, code, year)
    projects = department_year.department.projects.filter(year=year).order_by(
        "booklet_order", "table_number"
    )
    access = unit_access(request.user, department_year.department)
    return render(
        request,
        "departments/department_year_detail.html",
        {
            "department_year": department_year,
            "part_one": build_part_one(department_year),
            "projects": projects,
            "editable": access.can_write,
            "can_review": access.is_admin,
            "can_reopen": access.is_admin,
            "grades": Grade.choices,
        },
    )


@require_http_methods(["GET", "POST"])
def department_year_edit(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """Edit 第一部分: overall target, safeguards, sections and their rating indicators."""
    department_year = get_department_year_for_user(request.user, code, year)
    department = department_year.department
    if not can_write(request.user, department):
        raise PermissionDenied("您没有修改该单位绩效目标的权限。")
    if department_year.status != Status.DRAFT:
        messages.error(
            request, f"本年度部门绩效目标{department_year.get_status_display()}，处于只读状态。"
        )
        return redirect("departments:year_detail", code, year)
    data = request.POST if request.method == "POST" else None
    form = DepartmentYearForm(
        data, instance=department_year, initial={"version": department_year.version}
    )
    sections = SectionFormSet(
        data, prefix="sec", queryset=department.sections.order_by("order", "id")
    )
    indicators = SectionIndicatorFormSet(
        data,
        prefix="si",
        form_kwargs={"department": department},
        queryset=SectionIndicator.objects.filter(section__department=department, year=year)
        .select_related("section")
        .order_by("section__order", "order", "id"),
    )
    stale = None
    if data is not None and form.is_valid() and sections.is_valid() and indicators.is_valid():
        try:
            department_year_save(
                department_year=department_year, form=form, sections=sections, indicators=indicators
            )
        except StaleDepartmentYear as error:
            stale = str(error)
        except ValidationError as error:
            stale = "；".join(error.messages)
        else:
            messages.success(request, f"已保存：{department_year.title}")
            return redirect("departments:year_detail", code, year)
    return render(
        request,
        "departments/department_year_edit.html",
        {
            "department_year": department_year,
            "form": form,
            "sections": sections,
            "indicators": indicators,
            "stale": stale,
        },
        status=409 if stale else 200,
    )


RATING_SAVED = "评级已保存：{name}"


@require_http_methods(["GET", "POST"])
def section_ratings(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """Chiefs record the actual results of their sections' indicators and confirm the grades."""
    department_year = get_department_year_for_user(request.user, code, year)
    access = unit_access(request.user, department_year.department)
    sections = [s for s in department_year.department.year_sections if access.can_review(s.pk)]
    if not sections and not access.roles:
        raise PermissionDenied("您没有查看评级的权限。")
    if request.method == "POST":
        indicator = (
            SectionIndicator.objects.select_related("section__department")
            .filter(
                pk=_number(request.POST.get("indicator")),
                section__in=[s.pk for s in sections],
                year=year,
            )
            .first()
        )
        if indicator is None:
            raise PermissionDenied(RATING_NOT_YOURS)
        try:
            rating_record(
                indicator=indicator,
                user=request.user,
                actual_value=number_or_none(request.POST.get("actual_value")),
                manual_grade=request.POST.get("manual_grade", ""),
                reason=request.POST.get("reason", ""),
                comment=request.POST.get("comment", ""),
                confirm=bool(request.POST.get("confirm")),
            )
        except RatingRefused as refused:
            messages.error(request, f"{indicator.name}：{refused}")
            # Show the refused input again in its row, so nothing typed is lost.
            for section in sections:
                for shown in section.year_indicators:
                    if shown.pk == indicator.pk:
                        shown.submitted = request.POST
        else:
            messages.success(request, RATING_SAVED.format(name=indicator.name))
            return redirect("departments:ratings", code, year)
    return render(
        request,
        "departments/ratings.html",
        {
            "department_year": department_year,
            "sections": sections,
            "grades": Grade.choices,
            "summary": department_year.rating_summary(),
        },
    )


def _number(text) -> int | None:
    text = str(text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None
