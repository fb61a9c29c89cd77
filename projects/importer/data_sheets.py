"""The data workbook's sheets (项目, 指标, 部门, 科室, 科室指标) read into specs, row by row:
each row's values checked on their own and against the other rows of the file, never yet
against the database."""

from django.db.models import Q

from departments.access import can_write
from departments.models import FIRST_YEAR, GRADE_FIELDS, LAST_YEAR
from departments.scales import parse_bound
from indicators.models import MAX_DESCRIPTION
from perfbudget.lib.numbers import format_money
from projects.importer.contract import (
    DEPARTMENT_COLUMNS,
    DEPARTMENT_SHEET,
    DEPARTMENT_TAIL,
    INDICATOR_COLUMNS,
    INDICATOR_KEY,
    INDICATOR_SHEET,
    MONTH_HEADER,
    PROJECT_COLUMNS,
    PROJECT_SHEET,
    PROJECT_TAIL,
    SECTION_COLUMNS,
    SECTION_INDICATOR_COLUMNS,
    SECTION_INDICATOR_SHEET,
    SECTION_SHEET,
    VERSION_HEADER,
)
from projects.importer.plan import (
    DATA_WORKBOOK,
    DepartmentSpec,
    ImportPlan,
    IndicatorSpec,
    Problem,
    ProjectSpec,
    SectionIndicatorSpec,
    SectionSpec,
)
from projects.importer.read import Sheet
from projects.models import MAX_INDICATORS_PER_PROJECT, MAX_PROJECT_TEXT, Project


def read_data_workbook(wb, problems: list[Problem], user) -> ImportPlan:
    """Every sheet of the data workbook; only 项目 is required."""
    plan = ImportPlan(kind=DATA_WORKBOOK)
    projects = Sheet(wb[PROJECT_SHEET], problems, PROJECT_COLUMNS + ["绩效目标"], PROJECT_TAIL)
    if projects.valid:
        plan.projects = read_projects(projects)
    indicators: dict = {}
    if INDICATOR_SHEET in wb.sheetnames:
        sheet = Sheet(wb[INDICATOR_SHEET], problems, INDICATOR_COLUMNS, [INDICATOR_KEY])
        if sheet.valid:
            indicators = _read_indicators(sheet)
    for spec in plan.projects:
        rows = indicators.pop((spec.year, spec.code), None)
        if rows is not None:
            spec.indicators = rows
    plan.projects += _projects_of_indicator_rows(indicators, problems, user)
    optional = (
        (DEPARTMENT_SHEET, DEPARTMENT_COLUMNS, DEPARTMENT_TAIL, _read_departments, "departments"),
        (SECTION_SHEET, SECTION_COLUMNS, (), _read_sections, "sections"),
        (
            SECTION_INDICATOR_SHEET,
            SECTION_INDICATOR_COLUMNS,
            [INDICATOR_KEY],
            _read_section_indicators,
            "section_indicators",
        ),
    )
    for title, columns, tail, reader, attr in optional:
        if title in wb.sheetnames:
            sheet = Sheet(wb[title], problems, columns, tail)
            if sheet.valid:
                setattr(plan, attr, reader(sheet))
    return plan


def _projects_of_indicator_rows(
    indicators: dict, problems: list[Problem], user
) -> list[ProjectSpec]:
    """Indicator rows of projects not in 项目: they must exist already, in a unit the user may
    write (another unit's project reads exactly as one that does not exist)."""
    specs = []
    keys = Q(pk__in=[])
    for year, code in indicators:
        keys |= Q(year=year, code=code)
    found = {
        (p.year, p.code): p
        for p in Project.objects.filter(keys)
        .select_related("department", "framework", "section")
        .prefetch_related("schedule")
    }
    writable: dict[int, bool] = {}
    for project in found.values():
        if user is not None and project.department_id not in writable:
            writable[project.department_id] = can_write(user, project.department)
    for (year, code), rows in indicators.items():
        project = found.get((year, code))
        if project is None or (user is not None and not writable[project.department_id]):
            for spec in rows:
                problems.append(
                    Problem(
                        INDICATOR_SHEET,
                        spec.row,
                        "B列（项目编码）",
                        f"项目 {year}年 {code} 不在“项目”工作表中，也不存在于系统中",
                    )
                )
            continue
        specs.append(_spec_of_existing(project, rows))
    return specs


def _spec_of_existing(project: Project, indicators: list[IndicatorSpec]) -> ProjectSpec:
    return ProjectSpec(
        year=project.year,
        department_code=project.department.code,
        department_name=project.department.name,
        code=project.code,
        **{name: getattr(project, name) for name in Project.OWN_FIELDS},
        schedule={e.month: e.planned_percent for e in project.schedule.all()},
        framework_code=project.framework.code,
        section_name=project.section.name if project.section else "",
        row=0,
        sheet=INDICATOR_SHEET,
        indicators=indicators,
    )


def read_projects(sheet: Sheet) -> list[ProjectSpec]:
    """The rows of 项目; a form workbook's values come here too, as a one-row sheet."""
    months = sorted(
        (int(m[1]), header)
        for header in sheet.columns
        if (m := MONTH_HEADER.match(header)) and 1 <= int(m[1]) <= 12
    )
    specs, seen = [], {}
    for row, cells in sheet.rows:
        before = len(sheet.problems)
        year = sheet.integer(row, cells, "年度", low=FIRST_YEAR, high=LAST_YEAR)
        spec = ProjectSpec(
            year=year or 0,
            department_code=sheet.code(row, cells, "单位编码", max_length=32),
            department_name=sheet.text(row, cells, "单位名称", max_length=200),
            table_number=sheet.integer(row, cells, "表序号", low=1, high=99999) or 0,
            table_name=sheet.text(row, cells, "表名称", required=True, max_length=200),
            code=sheet.code(row, cells, "项目编码", max_length=40),
            name=sheet.text(row, cells, "项目名称", required=True, max_length=300),
            budget_total=sheet.money(row, cells, "预算数"),
            fiscal_funds=sheet.money(row, cells, "财政资金"),
            other_funds=sheet.money(row, cells, "其他资金", required=False),
            fund_use=sheet.text(row, cells, "资金用途", max_length=MAX_PROJECT_TEXT),
            schedule={month: sheet.percent(row, cells, header) for month, header in months},
            target=sheet.text(row, cells, "绩效目标", max_length=MAX_PROJECT_TEXT),
            framework_code=sheet.text(row, cells, "指标体系"),
            section_name=sheet.text(row, cells, "责任科室"),
            row=row,
            version=sheet.integer(row, cells, VERSION_HEADER, required=False, low=1, high=2**31),
        )
        if len(sheet.problems) > before:
            continue
        _check_funds(sheet, spec)
        _check_schedule(sheet, spec, dict(months))
        key = (spec.year, spec.code)
        if key in seen:
            sheet.problem(
                row, "项目编码", f"项目编码与第{seen[key]}行重复（{spec.year}年 {spec.code}）"
            )
            continue
        seen[key] = row
        specs.append(spec)
    return specs


def _check_funds(sheet: Sheet, spec: ProjectSpec) -> None:
    total = spec.fiscal_funds + (spec.other_funds or 0)
    if total != spec.budget_total:
        sheet.problem(
            spec.row,
            "预算数",
            f"财政资金与其他资金之和（{format_money(total)}）不等于预算数（{format_money(spec.budget_total)}）",
        )


def _check_schedule(sheet: Sheet, spec: ProjectSpec, headers: dict[int, str]) -> None:
    filled = [(m, p) for m, p in sorted(spec.schedule.items()) if p is not None]
    for (_, earlier), (month, later) in zip(filled, filled[1:], strict=False):
        if later < earlier:
            sheet.problem(spec.row, headers[month], "资金支出计划为累计百分比，不能比前一节点小")
            return
    if filled and filled[-1][1] != 100:
        sheet.problem(spec.row, headers[filled[-1][0]], "资金支出计划最后一个节点应为 100%")


def _read_indicators(sheet: Sheet) -> dict[tuple[int, str], list[IndicatorSpec]]:
    by_project: dict[tuple[int, str], list[IndicatorSpec]] = {}
    for row, cells in sheet.rows:
        before = len(sheet.problems)
        year = sheet.integer(row, cells, "年度", low=FIRST_YEAR, high=LAST_YEAR)
        code = sheet.text(row, cells, "项目编码", required=True)
        key = sheet.integer(row, cells, INDICATOR_KEY, required=False, low=1, high=2**62)
        spec = IndicatorSpec(
            primary=sheet.text(row, cells, "一级指标", required=True),
            secondary=sheet.text(row, cells, "二级指标", required=True),
            name=sheet.text(row, cells, "三级指标", required=True, max_length=200),
            description=sheet.text(row, cells, "绩效指标描述", max_length=MAX_DESCRIPTION),
            value_text=sheet.text(row, cells, "指标值", max_length=200),
            basis=sheet.text(row, cells, "指标值确定依据", max_length=200),
            row=row,
            key=key,
        )
        if len(sheet.problems) == before:
            rows = by_project.setdefault((year, code), [])
            if len(rows) == MAX_INDICATORS_PER_PROJECT:
                sheet.problem(row, "项目编码", too_many_indicators(code))
                break
            rows.append(spec)
    return by_project


def too_many_indicators(code: str) -> str:
    return (
        f"项目 {code} 的三级指标超过 {MAX_INDICATORS_PER_PROJECT} 条（一个项目最多 "
        f"{MAX_INDICATORS_PER_PROJECT} 条），请精简后再导入"
    )


def _rows_of(sheet: Sheet, build) -> list:
    """One record per sheet row, keeping only the rows that raised no problem."""
    specs = []
    for row, cells in sheet.rows:
        before = len(sheet.problems)
        spec = build(row, cells)
        if len(sheet.problems) == before:
            specs.append(spec)
    return specs


def _read_departments(sheet: Sheet) -> list[DepartmentSpec]:
    return _rows_of(
        sheet,
        lambda row, cells: DepartmentSpec(
            year=sheet.integer(row, cells, "年度", low=FIRST_YEAR, high=LAST_YEAR) or 0,
            code=sheet.code(row, cells, "单位编码", max_length=32),
            name=sheet.text(row, cells, "单位名称", max_length=200),
            overall_target=sheet.text(row, cells, "总体绩效目标"),
            safeguards=sheet.text(row, cells, "工作保障措施"),
            row=row,
            version=sheet.integer(row, cells, VERSION_HEADER, required=False, low=1, high=2**31),
        ),
    )


def _read_sections(sheet: Sheet) -> list[SectionSpec]:
    return _rows_of(
        sheet,
        lambda row, cells: SectionSpec(
            year=sheet.integer(row, cells, "年度", low=FIRST_YEAR, high=LAST_YEAR) or 0,
            department_code=sheet.code(row, cells, "单位编码", max_length=32),
            name=sheet.text(row, cells, "科室", required=True, max_length=100),
            order=sheet.integer(row, cells, "序号", required=False, low=0, high=9999) or 0,
            duties=sheet.text(row, cells, "职责"),
            row=row,
        ),
    )


def _read_section_indicators(sheet: Sheet) -> list[SectionIndicatorSpec]:
    specs = []
    for row, cells in sheet.rows:
        before = len(sheet.problems)
        bounds = {}
        for grade, name, default_op in GRADE_FIELDS:
            try:
                op, value = parse_bound(sheet.text(row, cells, grade, required=True), default_op)
                bounds[f"{name}_op"], bounds[f"{name}_bound"] = op, value
            except ValueError as error:
                sheet.problem(row, grade, str(error))
        spec = SectionIndicatorSpec(
            year=sheet.integer(row, cells, "年度", low=FIRST_YEAR, high=LAST_YEAR) or 0,
            department_code=sheet.code(row, cells, "单位编码", max_length=32),
            section=sheet.text(row, cells, "科室", required=True, max_length=100),
            name=sheet.text(row, cells, "绩效指标", required=True, max_length=200),
            bounds=bounds,
            row=row,
            key=sheet.integer(row, cells, INDICATOR_KEY, required=False, low=1, high=2**62),
        )
        if len(sheet.problems) == before:
            specs.append(spec)
    return specs
