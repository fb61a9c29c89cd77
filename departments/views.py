import hashlib
import json
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from departments.access import get_department_year, get_rw_department_year
from departments.forms import DepartmentYearForm, SectionFormSet, SectionIndicatorFormSet
from departments.models import SectionIndicator, SectionRating
from departments.services import (
    RATING_NOT_YOURS,
    RatingsRefused,
    StaleDepartmentYear,
    department_year_save,
    ratings_record,
)
from perfbudget.lib.grades import Grade, Status
from perfbudget.lib.numbers import format_number, number_or_none
from projects.documents.part_one import build_part_one
from projects.views.common import review_form


def department_year_detail(request: HttpRequest, code: str, year: int) -> HttpResponse:
    department_year, access = get_department_year(request.user, code, year)
    projects = department_year.department.projects.filter(year=year).order_by(
        "booklet_order", "table_number"
    )
    return render(
        request,
        "departments/department_year_detail.html",
        {
            "department_year": department_year,
            "part_one": build_part_one(department_year),
            "projects": projects,
            "editable": access.can_write,
            "actions": department_year.available_actions(access, request.user),
            **review_form(request, department_year),
            "reviews": department_year.reviews(),
            "can_rate": access.is_admin or bool(access.sections),
            "grades": Grade.choices,
        },
    )


def _part_one_forms(data, department_year):
    """The 第一部分 page's three forms: the year's texts, the sections and their indicators."""
    department = department_year.department
    form = DepartmentYearForm(
        data, instance=department_year, initial={"version": department_year.version}
    )
    sections = SectionFormSet(
        data,
        prefix="sec",
        form_kwargs={"department": department},
        queryset=department.sections.filter(retired=False).order_by("order", "id"),
    )
    indicators = SectionIndicatorFormSet(
        data,
        prefix="si",
        form_kwargs={"department": department},
        queryset=SectionIndicator.objects.filter(
            section__department=department, year=department_year.year
        )
        .select_related("section")
        .order_by("section__order", "order", "id"),
    )
    return form, sections, indicators


def _save_part_one(department_year, form, sections, indicators) -> str | None:
    """Save the valid page; the message when it was refused (a newer save, a frozen rating)."""
    try:
        department_year_save(
            department_year=department_year, form=form, sections=sections, indicators=indicators
        )
    except StaleDepartmentYear as error:
        return str(error)
    except ValidationError as error:
        return "；".join(error.messages)
    return None


@require_http_methods(["GET", "POST"])
def department_year_edit(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """Edit 第一部分: overall target, safeguards, sections and their rating indicators."""
    department_year, _ = get_rw_department_year(request.user, code, year)
    if department_year.status != Status.DRAFT:
        messages.error(
            request, f"本年度部门绩效目标{department_year.get_status_display()}，处于只读状态。"
        )
        return redirect("unit_year:detail", code, year)
    data = request.POST if request.method == "POST" else None
    form, sections, indicators = _part_one_forms(data, department_year)
    stale = None
    if data is not None and form.is_valid() and sections.is_valid() and indicators.is_valid():
        stale = _save_part_one(department_year, form, sections, indicators)
        if stale is None:
            messages.success(request, f"已保存：{department_year.title}")
            return redirect("unit_year:detail", code, year)
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


RATINGS_SAVED = "已保存 {count} 项评级。"
RATINGS_UNCHANGED = "没有需要保存的修改。"
RATINGS_REFUSED = (
    "有 {count} 项评级未通过检查，本页所有评级均未保存；"
    "您填写的内容仍在下方，请按每行的提示修改后再保存。"
)
OVER_100 = "实际完成值超过 100%，请核实"
ROW_MOVED = "打开本页之后，他人已保存了这一行（现为已保存的内容）；请重新打开页面核对后再修改。"
ROW_FIELDS = ("actual_value", "manual_grade", "reason", "comment", "confirm")


@dataclass
class RatingRow:
    """One row of the ratings page: the indicator, its stored rating, what the form shows."""

    indicator: SectionIndicator
    rating: SectionRating | None
    values: dict[str, str]
    error: str = ""
    shown: str = ""  # the fingerprint of the row as the page that posted it showed it

    @property
    def prefix(self) -> str:
        return f"r-{self.indicator.pk}-"

    @property
    def locked(self) -> bool:
        return bool(self.rating and self.rating.confirmed)

    @property
    def bounds(self) -> str:
        """The scale for the page's script, which shows the computed grade while typing."""
        return json.dumps([[b.grade, b.op, str(b.value)] for b in self.indicator.bounds()])

    @property
    def computed(self) -> str:
        value = number_or_none(self.values["actual_value"])
        if value is None:
            return ""
        return (self.indicator.grade_for(value) if value >= 0 else None) or "无（空档）"

    @property
    def over_100(self) -> bool:
        value = number_or_none(self.values["actual_value"])
        return value is not None and value > 100

    def stored(self) -> dict[str, str]:
        r = self.rating
        if r is None:
            return dict.fromkeys(ROW_FIELDS, "")
        return {
            "actual_value": format_number(r.actual_value),
            "manual_grade": r.manual_grade,
            "reason": r.manual_reason,
            "comment": r.comment,
            "confirm": "on" if r.confirmed else "",
        }

    @property
    def fingerprint(self) -> str:
        """What the row showed when the page was drawn; the page posts it back (`shown`)."""
        return hashlib.sha256(repr(sorted(self.stored().items())).encode()).hexdigest()[:16]

    def changed(self) -> bool:
        """Typed into: differs from what is stored (an empty row of an unrated indicator and a
        row posted as it was shown are not written)."""
        stored, typed = self.stored(), self.values
        if typed["confirm"] and not stored["confirm"]:
            return True
        actual = typed["actual_value"].strip()
        if actual != stored["actual_value"]:
            number = number_or_none(actual)
            # 95.0 where 95 is stored is no change; anything unreadable is, and is refused.
            if number is None or number != number_or_none(stored["actual_value"]):
                return True
        return any(typed[k].strip() != stored[k] for k in ("manual_grade", "reason", "comment"))

    def as_record(self) -> dict:
        return {
            "indicator": self.indicator,
            "actual_value": number_or_none(self.values["actual_value"]),
            "manual_grade": self.values["manual_grade"],
            "reason": self.values["reason"],
            "comment": self.values["comment"],
            "confirm": bool(self.values["confirm"]),
        }


def _rating_rows(sections, data) -> list[RatingRow]:
    rows = []
    for section in sections:
        section.rows = []
        for indicator in section.year_indicators:
            row = RatingRow(indicator, getattr(indicator, "rating", None), {})
            row.values = (
                {k: data.get(row.prefix + k, "") for k in ROW_FIELDS}
                if data is not None and not row.locked
                else row.stored()
            )
            row.shown = data.get(row.prefix + "shown", "") if data is not None else ""
            row.shown = row.shown or row.fingerprint
            section.rows.append(row)
            rows.append(row)
    return rows


def _posted_indicators(post) -> set[int]:
    ids = set()
    for key in post:
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == "r" and parts[2] in ROW_FIELDS:
            ids.add(_number(parts[1]) or -1)
    return ids


def _save_ratings(request, rows: list, access) -> int:
    """Save the page's changed rows together, or none; how many rows were refused (0: saved,
    or nothing to save). Each refused row carries its message."""
    # A row the user may not rate (another chief's section, another unit or year) is a
    # forged page: refuse it whole.
    if not _posted_indicators(request.POST) <= {r.indicator.pk for r in rows}:
        raise PermissionDenied(RATING_NOT_YOURS)
    changed = [r for r in rows if not r.locked and r.changed()]
    if not changed:
        messages.info(request, RATINGS_UNCHANGED)
        return 0
    # A row saved by someone else since this page was drawn: its values here are the old
    # ones, and writing them would undo that save.
    moved = [r for r in changed if r.shown != r.fingerprint]
    for row in moved:
        row.error, row.values, row.shown = ROW_MOVED, row.stored(), row.fingerprint
    if moved:
        return len(moved)
    try:
        records = [r.as_record() for r in changed]
        count = ratings_record(user=request.user, rows=records, access=access)
    except RatingsRefused as error:
        for row in changed:
            row.error = error.errors.get(row.indicator.pk, "")
        return len(error.errors)
    messages.success(request, RATINGS_SAVED.format(count=count))
    return 0


@require_http_methods(["GET", "POST"])
def section_ratings(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """Chiefs record the actual results of their sections' indicators and confirm the grades:
    one form for the page, every changed row saved together or none."""
    department_year, access = get_department_year(request.user, code, year)
    sections = [s for s in department_year.department.year_sections if access.can_review(s.pk)]
    data = request.POST if request.method == "POST" else None
    rows = _rating_rows(sections, data)
    # Before any write: a refused write leaves its unsaved ratings on the indicators in memory.
    summary = department_year.rating_summary()
    refused = 0
    if data is not None:
        refused = _save_ratings(request, rows, access)
        if not refused:
            return redirect("unit_year:ratings", code, year)
    return render(
        request,
        "departments/ratings.html",
        {
            "department_year": department_year,
            "sections": sections,
            "grades": Grade.choices,
            "summary": summary,
            "refused": RATINGS_REFUSED.format(count=refused) if refused else "",
            "over_100": OVER_100,
        },
    )


def _number(text) -> int | None:
    text = str(text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None
