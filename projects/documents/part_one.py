"""What 第一部分 (部门整体绩效目标) contains, apart from how HTML, PDF or Excel draw it.

The unit page, the booklet PDF and the booklet workbook all draw from `build_part_one`: the
overall target, each section's duties and rating table (评价标准 优/良/中/差, and once any
rating is recorded 实际完成值 and 评级), the rating summary and 工作保障措施. A grade the chief has
not confirmed reads "优（待确认）" in every format, and the summary counts it apart. The
booklet's download cache key is the unit-year's stamp (projects/documents/stamp.py).
"""

from dataclasses import dataclass
from decimal import Decimal

from departments.models import DepartmentYear, SectionIndicator
from perfbudget.lib.numbers import format_percent

PENDING = "（待确认）"
HUNDRED = Decimal(100)
OVER_100 = "{name}的实际完成值为 {value}，超过 100%，请核实"


def grade_text(grade: str | None, confirmed: bool) -> str:
    """优 when confirmed, 优（待确认） while not: never an unconfirmed grade printed as final."""
    if not grade:
        return ""
    return grade if confirmed else f"{grade}{PENDING}"


@dataclass(frozen=True)
class RatingRow:
    indicator_id: int
    name: str
    criteria: tuple[str, ...]  # the 评价标准 cells: 优, 良, 中, 差
    actual: str  # "98.5%", or "" before a rating is recorded
    grade: str  # "优", "优（待确认）" or ""
    confirmed: bool
    note: str  # a warning about the value (above 100%), or ""


@dataclass(frozen=True)
class SectionPart:
    name: str
    duties: tuple[str, ...]
    rows: tuple[RatingRow, ...]


@dataclass(frozen=True)
class PartOne:
    title: str
    department_code: str
    department_name: str
    year: int
    status: str
    overall_target: tuple[str, ...]
    sections: tuple[SectionPart, ...]
    safeguards: tuple[str, ...]
    rated: bool  # any rating recorded: the tables get 实际完成值 and 评级 columns
    summary: tuple[tuple[str, int], ...]  # 优 良 中 差 (confirmed), 待确认, 未评级

    @property
    def summary_text(self) -> str:
        return "，".join(f"{label} {count} 项" for label, count in self.summary)

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(row.note for s in self.sections for row in s.rows if row.note)


def _row(indicator: SectionIndicator) -> RatingRow:
    rating = getattr(indicator, "rating", None)
    actual, note = "", ""
    if rating is not None:
        actual = format_percent(rating.actual_value)
        if rating.actual_value > HUNDRED:
            note = OVER_100.format(name=indicator.name, value=actual)
    return RatingRow(
        indicator_id=indicator.pk,
        name=indicator.name,
        criteria=tuple(indicator.criteria()),
        actual=actual,
        grade=grade_text(rating.grade, rating.confirmed) if rating else "",
        confirmed=bool(rating and rating.confirmed),
        note=note,
    )


def build_part_one(department_year: DepartmentYear) -> PartOne:
    """From a department year fetched with `DepartmentYear.objects.with_part_one`."""
    department = department_year.department
    sections = tuple(
        SectionPart(
            name=section.name,
            duties=tuple(section.duty_lines()),
            rows=tuple(_row(indicator) for indicator in section.year_indicators),
        )
        for section in department.year_sections
    )
    return PartOne(
        title=department_year.title,
        department_code=department.code,
        department_name=department.name,
        year=department_year.year,
        status=department_year.status,
        overall_target=tuple(department_year.paragraphs("overall_target")),
        sections=sections,
        safeguards=tuple(department_year.paragraphs("safeguards")),
        rated=department_year.has_ratings(),
        summary=tuple(department_year.rating_summary().items()),
    )
