"""The data workbook (DESIGN §7): one row per record, for bulk entry and round trips.

Sheet and column names are the contract (`projects/importer/contract.py`), which the importer
reads back."""

from dataclasses import dataclass

from departments.models import DepartmentYear, Section, SectionIndicator
from projects.documents.lists import Column, ListSheet, list_workbook
from projects.importer.contract import (
    DEPARTMENT_COLUMNS,
    DEPARTMENT_SHEET,
    DEPARTMENT_TAIL,
    INDICATOR_COLUMNS,
    INDICATOR_KEY,
    INDICATOR_SHEET,
    PROJECT_COLUMNS,
    PROJECT_SHEET,
    PROJECT_TAIL,
    SECTION_COLUMNS,
    SECTION_INDICATOR_COLUMNS,
    SECTION_INDICATOR_SHEET,
    SECTION_SHEET,
)
from projects.models import BudgetYear, Project

WIDE = {"项目名称", "资金用途", "绩效目标", "总体绩效目标", "工作保障措施", "职责", "绩效指标描述"}


def _column(header: str) -> Column:
    return Column(
        header,
        40 if header in WIDE else 14,
        number_format="0.####" if header_is_percent(header) else "",
    )


def header_is_percent(header: str) -> bool:
    return header.endswith("月底")


@dataclass(frozen=True)
class DataSheet:
    title: str
    headers: list[str]
    rows: list[list]


def _project_row(project: Project, milestones: list[int]) -> list:
    planned = {e.month: e.planned_percent for e in project.schedule.all()}
    department = project.department
    return [
        project.year,
        department.code,
        department.name,
        project.table_number,
        project.table_name,
        project.code,
        project.name,
        project.budget_total,
        project.fiscal_funds,
        project.other_funds,
        project.fund_use,
        *(planned.get(m) for m in milestones),
        project.target,
        project.framework.code,
        project.section.name if project.section else "",
        project.version,
    ]


def _indicator_rows(project: Project) -> list[list]:
    return [
        [
            project.year,
            project.code,
            primary.name,
            secondary.name,
            i.name,
            i.description,
            i.value_text,
            i.basis,
            i.pk,
        ]
        for primary, secondaries in project.indicator_tree()
        for secondary, items in secondaries
        for i in items
    ]


def _unit_sheets(department_year: DepartmentYear) -> list[DataSheet]:
    """部门, 科室 and 科室指标: the unit-year's own rows."""
    department, year = department_year.department, department_year.year
    sections = Section.objects.filter(department=department).order_by("order", "id")
    indicators = (
        SectionIndicator.objects.filter(section__department=department, year=year)
        .select_related("section")
        .order_by("section__order", "section_id", "order", "id")
    )
    unit_row = [
        year,
        department.code,
        department.name,
        department_year.overall_target,
        department_year.safeguards,
        department_year.version,
    ]
    return [
        DataSheet(DEPARTMENT_SHEET, DEPARTMENT_COLUMNS + DEPARTMENT_TAIL, [unit_row]),
        DataSheet(
            SECTION_SHEET,
            SECTION_COLUMNS,
            [[year, department.code, s.name, s.order, s.duties] for s in sections],
        ),
        DataSheet(
            SECTION_INDICATOR_SHEET,
            [*SECTION_INDICATOR_COLUMNS, INDICATOR_KEY],
            [
                [year, department.code, i.section.name, i.name, *i.criteria(), i.pk]
                for i in indicators
            ],
        ),
    ]


def data_workbook_sheets(department_year: DepartmentYear) -> list[DataSheet]:
    """Everything the unit-year's data workbook holds, sheet by sheet."""
    department, year = department_year.department, department_year.year
    milestones = BudgetYear.milestones_of(year)
    milestone_headers = [BudgetYear.milestone_label(m) for m in milestones]
    projects = list(
        Project.objects.for_table().filter(department=department, year=year).in_booklet_order()
    )
    project_rows = [_project_row(project, milestones) for project in projects]
    indicator_rows = [row for project in projects for row in _indicator_rows(project)]
    return [
        DataSheet(PROJECT_SHEET, PROJECT_COLUMNS + milestone_headers + PROJECT_TAIL, project_rows),
        DataSheet(INDICATOR_SHEET, [*INDICATOR_COLUMNS, INDICATOR_KEY], indicator_rows),
        *_unit_sheets(department_year),
    ]


def data_workbook(department_year: DepartmentYear) -> bytes:
    return list_workbook(
        [
            ListSheet(s.title, [_column(h) for h in s.headers], s.rows)
            for s in data_workbook_sheets(department_year)
        ]
    )
