"""A plan read from a file, checked against the database: the units the user may write, budget
years, frameworks and categories, sections, projects whose code another unit holds, read-only
projects and 第一部分, records changed since the file was written. Everything is read once;
every problem is listed. A plan that passes gets its preview."""

from dataclasses import dataclass, field

from departments.access import can_write
from departments.models import Department, DepartmentYear, Section, SectionRating
from departments.services import RATING_CONFIRMED_LOCKS
from indicators.models import FrameworkVersion, SecondaryCategory, SelfEvaluation
from perfbudget.lib.grades import Status
from projects.importer.contract import (
    DEPARTMENT_SHEET,
    INDICATOR_SHEET,
    SECTION_INDICATOR_SHEET,
    SECTION_SHEET,
    VERSION_HEADER,
    indicator_column,
)
from projects.importer.describe import describe, project_changes, read_only_state
from projects.importer.matching import section_indicator_changes
from projects.importer.plan import DATA_WORKBOOK, ImportPlan, Problem, ProjectSpec
from projects.models import BudgetYear, Project

NO_SUCH_UNIT = "单位 {code} 不存在，或您没有在该单位导入数据的权限"
NO_BUDGET_YEAR = "{year}年的预算年度尚未设置，不能导入该年度的数据（预算年度由系统管理员设置）"
CODE_TAKEN = "{spec.year}年的项目编码 {spec.code} 已被使用，不能导入到单位 {spec.department_code}"
READ_ONLY = "项目 {code} {status}，处于只读状态，不能通过导入修改（改动：{changes}）"
UNIT_YEAR_READ_ONLY = (
    "单位 {code} {year}年的部门整体绩效目标{status}，处于只读状态，不能通过导入修改"
)
STALE_FILE = (
    "项目 {code} 在本文件导出之后已被修改（文件中为第 {old} 版，现为第 {new} 版），"
    "导入会撤销这些修改；请重新下载工作簿，在新文件上修改后再导入。"
)
STALE_UNIT_FILE = (
    "单位 {code} {year}年的第一部分在本文件导出之后已被修改"
    "（文件中为第 {old} 版，现为第 {new} 版），导入会撤销这些修改；"
    "请重新下载工作簿，在新文件上修改后再导入。"
)
STALE_PROJECT = (
    "项目 {year}年 {code} 在预览（检查）之后已被修改、提交、审核或导入，"
    "本次导入没有写入任何内容；"
    "请重新上传，核对最新内容后再导入。"
)
STALE_NEW_PROJECT = (
    "{year}年的项目编码 {code} 在预览（检查）之后已被使用，本次导入没有写入任何内容。"
)
STALE_UNIT_YEAR = (
    "单位 {code} {year}年的部门整体绩效目标在预览（检查）之后已被修改、提交或审核，"
    "本次导入没有写入任何内容；请重新上传。"
)


def check_against_database(plan: ImportPlan, problems: list[Problem], user) -> None:
    """Check a plan read without problems; `user` None means an administrator (the command),
    who may create units and budget years."""
    known = _known(plan, problems, user)
    plan.versions = {key: project.version for key, project in known.existing.items()}
    _check_units(known)
    for spec in plan.projects:
        _check_project(known, spec)
    for spec in plan.projects:
        _check_indicators(known, spec)
    if not problems:
        _check_read_only(plan, known.read_only, known.existing, known.categories, problems)
        _check_file_versions(plan, known.existing, known.categories, problems)
        unit_years = _check_unit_years(plan, known.departments, problems)
        _check_rating_indicators(known, unit_years)
        _check_section_rows(known, unit_years)
    _check_section_names(known)
    if not problems:
        plan.changes = describe(plan, known.existing, known.categories)


@dataclass
class _Known:
    """What the database holds that the plan is checked against, read once; and what the checks
    learn on the way (units refused, existing projects that are read-only)."""

    plan: ImportPlan
    problems: list[Problem]
    user: object
    departments: dict[str, Department]
    writable: set[str]  # codes of the units the file names that the user may write
    frameworks: dict[str, FrameworkVersion]
    years: dict[int, BudgetYear]
    categories: dict[str, dict[tuple[str, str], SecondaryCategory]]
    existing: dict[tuple[int, str], Project]
    unit_sections: set[tuple[str, str]]
    stored_sections: dict[tuple[str, str], Section]
    confirmed: set[int]  # projects a confirmed 自评 scored
    refused_units: set[str] = field(default_factory=set)
    read_only: list[ProjectSpec] = field(default_factory=list)

    def unit_ok(self, code: str, name: str, sheet: str, row: int, column: str) -> bool:
        # An outsider learns nothing about units they hold no role in: one message for both.
        if code in self.writable:
            return True
        if self.user is not None:
            self.refused_units.add(code)
            self.problems.append(Problem(sheet, row, column, NO_SUCH_UNIT.format(code=code)))
            return False
        if not name and code not in self.plan.new_departments:
            self.problems.append(Problem(sheet, row, column, f"新单位 {code} 需要填写单位名称"))
            return False
        self.plan.new_departments.setdefault(code, name)
        return True

    def year_ok(self, year: int, sheet: str, row: int) -> bool:
        # A budget year is global configuration: an import by a user never creates one.
        if self.user is None or year in self.years:
            return True
        self.problems.append(Problem(sheet, row, "A列（年度）", NO_BUDGET_YEAR.format(year=year)))
        return False


def _known(plan: ImportPlan, problems: list[Problem], user) -> _Known:
    departments = {
        d.code: d
        for d in Department.objects.filter(
            code__in={p.department_code for p in plan.projects}
            | {d.code for d in plan.departments}
            | {s.department_code for s in plan.sections}
            | {s.department_code for s in plan.section_indicators}
        )
    }
    categories: dict[str, dict[tuple[str, str], SecondaryCategory]] = {}
    for category in SecondaryCategory.objects.select_related("primary__framework"):
        categories.setdefault(category.primary.framework.code, {})[
            (category.primary.name, category.name)
        ] = category
    existing = existing_projects(
        plan, {c.pk: c for framework in categories.values() for c in framework.values()}
    )
    sections = {
        (s.department.code, s.name): s
        for s in Section.objects.filter(department__in=departments.values()).select_related(
            "department"
        )
    }
    return _Known(
        plan=plan,
        problems=problems,
        user=user,
        departments=departments,
        writable={c for c, d in departments.items() if user is None or can_write(user, d)},
        frameworks={f.code: f for f in FrameworkVersion.objects.all()},
        years={b.year: b for b in BudgetYear.objects.select_related("framework")},
        categories=categories,
        existing=existing,
        unit_sections=set(sections) | {(s.department_code, s.name) for s in plan.sections},
        stored_sections=sections,
        confirmed=set(
            SelfEvaluation.objects.filter(
                project__in=existing.values(), status=SelfEvaluation.Status.CONFIRMED
            ).values_list("project_id", flat=True)
        ),
    )


def _check_units(known: _Known) -> None:
    """The unit and year of every 部门, 科室 and 科室指标 row."""
    for spec in known.plan.departments:
        if known.unit_ok(spec.code, spec.name, DEPARTMENT_SHEET, spec.row, "B列（单位编码）"):
            known.year_ok(spec.year, DEPARTMENT_SHEET, spec.row)
    for sheet, specs in (
        (SECTION_SHEET, known.plan.sections),
        (SECTION_INDICATOR_SHEET, known.plan.section_indicators),
    ):
        for spec in specs:
            if known.unit_ok(spec.department_code, "", sheet, spec.row, "B列（单位编码）"):
                known.year_ok(spec.year, sheet, spec.row)


def _check_project(known: _Known, spec: ProjectSpec) -> None:
    problems, data = known.problems, known.plan.kind == DATA_WORKBOOK
    current = known.existing.get((spec.year, spec.code))
    if spec.sheet == INDICATOR_SHEET:
        # Indicator rows of a project the 项目 sheet leaves out: the project as it is, with
        # these indicators; read-only like any other.
        row = spec.indicators[0].row
        if known.unit_ok(
            spec.department_code, spec.department_name, INDICATOR_SHEET, row, "B列（项目编码）"
        ) and (current.status != Status.DRAFT or current.pk in known.confirmed):
            known.read_only.append(spec)
        return
    column = "B列（单位编码）" if data else "单位编码"
    if not known.unit_ok(spec.department_code, spec.department_name, spec.sheet, spec.row, column):
        return
    if current and current.department.code != spec.department_code:
        # Codes are unique in a year: say the code is taken, never by whom.
        problems.append(Problem(spec.sheet, spec.row, "项目编码", CODE_TAKEN.format(spec=spec)))
        return
    if current and (current.status != Status.DRAFT or current.pk in known.confirmed):
        known.read_only.append(spec)
    if spec.section_name and (spec.department_code, spec.section_name) not in known.unit_sections:
        message = f"本单位没有科室“{spec.section_name}”，请先在“科室”工作表中列出"
        problems.append(Problem(spec.sheet, spec.row, "责任科室", message))
    if known.user is not None and spec.year not in known.years:
        # A budget year is global configuration: an import by a user never creates one.
        column = "A列（年度）" if data else "年度"
        problems.append(
            Problem(spec.sheet, spec.row, column, NO_BUDGET_YEAR.format(year=spec.year))
        )
        return
    _check_framework(known, spec, current)


def _check_framework(known: _Known, spec: ProjectSpec, current: Project | None) -> None:
    """The framework the project's indicators are read in: the file's, else the year's, else the
    project's own."""
    if not spec.framework_code:
        if spec.year in known.years:
            spec.framework_code = known.years[spec.year].framework.code
        elif current:
            spec.framework_code = current.framework.code
        else:
            message = f"{spec.year}年尚未设置指标体系，请在“指标体系”列填写版本（如 2020）"
            known.problems.append(Problem(spec.sheet, spec.row, "指标体系", message))
            return
    if spec.framework_code not in known.frameworks:
        message = f"未知的指标体系版本“{spec.framework_code}”，可选：{'、'.join(known.frameworks)}"
        known.problems.append(Problem(spec.sheet, spec.row, "指标体系", message))
        return
    if current and current.framework.code != spec.framework_code and spec.indicators is None:
        message = "更换指标体系时须同时提供该项目的全部指标"
        known.problems.append(Problem(spec.sheet, spec.row, "指标体系", message))


def _check_indicators(known: _Known, spec: ProjectSpec) -> None:
    """Every indicator under a 一级 and 二级 of the project's framework, each 三级 name once."""
    if spec.indicators is None or spec.framework_code not in known.categories:
        return
    categories = known.categories[spec.framework_code]
    form = known.plan.kind != DATA_WORKBOOK
    sheet = spec.sheet if form else INDICATOR_SHEET
    names = {}
    for indicator in spec.indicators:
        if (indicator.primary, indicator.secondary) not in categories:
            primaries = [p for p, _ in categories]
            if indicator.primary not in primaries:
                message = (
                    f"未知的一级指标“{indicator.primary}”，{spec.framework_code} 指标体系的"
                    f"一级指标为：{'、'.join(dict.fromkeys(primaries))}"
                )
                column = indicator_column("一级指标", form=form)
            else:
                valid = [s for p, s in categories if p == indicator.primary]
                message = (
                    f"“{indicator.primary}”下没有二级指标“{indicator.secondary}”，"
                    f"可选：{'、'.join(valid)}"
                )
                column = indicator_column("二级指标", form=form)
            known.problems.append(Problem(sheet, indicator.row, column, message))
        if indicator.name in names:
            message = f"三级指标“{indicator.name}”与第{names[indicator.name]}行重复"
            column = indicator_column("三级指标", form=form)
            known.problems.append(Problem(sheet, indicator.row, column, message))
        names.setdefault(indicator.name, indicator.row)


def _check_section_names(known: _Known) -> None:
    for spec in known.plan.section_indicators:
        if spec.department_code in known.refused_units:
            continue  # said once already; nothing of another unit's sections is told
        if (spec.department_code, spec.section) not in known.unit_sections:
            message = f"科室“{spec.section}”不存在，请在“科室”工作表中列出"
            known.problems.append(
                Problem(SECTION_INDICATOR_SHEET, spec.row, "C列（科室）", message)
            )


def _check_read_only(plan, read_only, existing, categories, problems) -> None:
    """A submitted or approved project that the file leaves as it is, is skipped (and named in
    the preview); only a real change to one is refused."""
    for spec in read_only:
        current = existing[(spec.year, spec.code)]
        changes = project_changes(current, spec, categories)
        if changes:
            # A project only the 指标 sheet names is refused at its first indicator row.
            alone = spec.sheet == INDICATOR_SHEET
            problems.append(
                Problem(
                    spec.sheet,
                    spec.indicators[0].row if alone else spec.row,
                    "B列（项目编码）" if alone else "项目编码",
                    READ_ONLY.format(
                        code=spec.code,
                        status=read_only_state(current),
                        changes="；".join(changes),
                    ),
                )
            )
        else:
            spec.skip = True


def _check_file_versions(plan, existing, categories, problems) -> None:
    """A file written before a colleague's save holds the old values of what they changed:
    importing it would undo their work. Such a file may still be imported where it changes
    nothing of a record that moved on."""
    for spec in plan.projects:
        current = existing.get((spec.year, spec.code))
        if spec.version is None or spec.skip or current is None:
            continue
        if current.version != spec.version and project_changes(current, spec, categories):
            message = STALE_FILE.format(code=spec.code, old=spec.version, new=current.version)
            problems.append(Problem(spec.sheet, spec.row, VERSION_HEADER, message))


def _check_unit_years(plan: ImportPlan, departments: dict, problems: list[Problem]) -> dict:
    """Record the version of every unit-year whose 第一部分 the file may change, and refuse a
    change to one that is submitted or approved (an unchanged 部门 row of one passes). The
    unit-years by (unit code, year)."""
    unit_years = {
        (dy.department.code, dy.year): dy
        for dy in DepartmentYear.objects.filter(department__in=departments.values()).select_related(
            "department"
        )
    }
    touched = {(s.code, s.year) for s in plan.departments}
    touched |= {(s.department_code, s.year) for s in plan.section_indicators}
    touched |= {key for key in unit_years if key[0] in {s.department_code for s in plan.sections}}
    plan.unit_versions = {key: unit_years[key].version for key in touched if key in unit_years}
    for spec in plan.departments:
        current = unit_years.get((spec.code, spec.year))
        if current and spec.version is not None and spec.version != current.version:
            plan.stale_units[(spec.code, spec.year)] = (spec.version, current.version)
            if spec.changes(current):
                message = STALE_UNIT_FILE.format(
                    code=spec.code, year=spec.year, old=spec.version, new=current.version
                )
                problems.append(Problem(DEPARTMENT_SHEET, spec.row, VERSION_HEADER, message))
        if current is None or current.status == Status.DRAFT:
            continue
        if spec.changes(current):
            problems.append(
                Problem(
                    DEPARTMENT_SHEET,
                    spec.row,
                    None,
                    UNIT_YEAR_READ_ONLY.format(
                        code=spec.code, year=spec.year, status=current.get_status_display()
                    ),
                )
            )
    return unit_years


def _check_section_rows(known: _Known, unit_years: dict) -> None:
    """A 科室 row that adds or changes a section, in a year whose 第一部分 is submitted or
    approved, is refused as that year's editor page would refuse it."""
    for spec in known.plan.sections:
        stored = known.stored_sections.get((spec.department_code, spec.name))
        if stored is not None and not spec.changes(stored):
            continue
        current = unit_years.get((spec.department_code, spec.year))
        if current is not None and current.status != Status.DRAFT:
            status = current.get_status_display()
            message = UNIT_YEAR_READ_ONLY.format(
                code=spec.department_code, year=spec.year, status=status
            )
            known.problems.append(Problem(SECTION_SHEET, spec.row, None, message))


def _check_rating_indicators(known: _Known, unit_years: dict) -> None:
    """The 科室指标 rows that would change a 第一部分: refused where that 第一部分 is submitted or
    approved, or where a confirmed rating was graded on the indicator's scale, here rather
    than only at the write, so the preview and --dry-run say so."""
    changes = section_indicator_changes(known.plan, known.stored_sections)
    known.plan.section_indicators_changed = len(changes)
    stored = [c.indicator for c in changes if c.indicator is not None]
    locked = set(
        SectionRating.objects.filter(indicator__in=stored, confirmed=True).values_list(
            "indicator_id", flat=True
        )
    )
    for change in changes:
        spec = change.spec
        current = unit_years.get((spec.department_code, spec.year))
        if current is not None and current.status != Status.DRAFT:
            status = current.get_status_display()
            message = UNIT_YEAR_READ_ONLY.format(
                code=spec.department_code, year=spec.year, status=status
            )
        elif change.indicator is not None and change.indicator.pk in locked:
            message = RATING_CONFIRMED_LOCKS.format(names=change.indicator.name)
        else:
            continue
        known.problems.append(Problem(SECTION_INDICATOR_SHEET, spec.row, None, message))


def version_problems(plan: ImportPlan, seen: tuple[dict, dict], now: tuple[dict, dict]):
    """Every project and unit-year whose version moved between two looks (the preview and the
    check, or the check and the write), as problems; a project that did not exist and now
    does is one of them."""
    (seen_projects, seen_units), (now_projects, now_units) = seen, now
    problems = []
    for spec in plan.projects:
        key = (spec.year, spec.code)
        before, after = seen_projects.get(key), now_projects.get(key)
        if before == after:
            continue
        message = STALE_NEW_PROJECT if before is None else STALE_PROJECT
        text = message.format(year=spec.year, code=spec.code)
        problems.append(Problem(spec.sheet, spec.row or None, "项目编码", text))
    for code, year in sorted(set(seen_units) | set(now_units)):
        if seen_units.get((code, year)) != now_units.get((code, year)):
            message = STALE_UNIT_YEAR.format(code=code, year=year)
            problems.append(Problem("文件", None, None, message))
    return problems


def existing_projects(
    plan: ImportPlan, categories: dict | None = None, leave_out: frozenset | set = frozenset()
) -> dict:
    """The projects the plan names that exist already, by (year, code), with what an import
    compares; not those `leave_out` names. The few categories (by id, with their 一级) are
    read once and set on every indicator, not joined into thousands of rows."""
    if categories is None:
        categories = SecondaryCategory.objects.select_related("primary").in_bulk()
    codes = [s.code for s in plan.projects if (s.year, s.code) not in leave_out]
    projects = {
        (p.year, p.code): p
        for p in Project.objects.filter(code__in=codes)
        .select_related("department", "framework", "section")
        .prefetch_related("schedule", "indicators")
    }
    for project in projects.values():
        for indicator in project.indicators.all():
            indicator.category = categories[indicator.category_id]
    return projects
