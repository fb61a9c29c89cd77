"""Importing targets from Excel: the data workbook (DESIGN §7) or a form workbook as exported.

All or nothing. `import_prepare` reads and checks the whole file and raises `ImportRejected`
with every problem (sheet, row as the spreadsheet numbers it, column, message in Chinese);
nothing is written. Its plan lists what would be created and changed, for the dry run and the
upload page's preview. `import_apply` writes the plan in one transaction.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Prefetch
from django.utils import timezone

from departments.access import can_write
from departments.models import Department, DepartmentYear, Section, SectionIndicator
from departments.services import confirmed_ratings_unchanged
from indicators.models import FrameworkVersion, Indicator, SecondaryCategory, SelfEvaluation
from perfbudget.lib.grades import Status
from projects.importer.contract import (
    MAX_FILE_BYTES,
    VERSION_HEADER,
)
from projects.importer.data_sheets import read_data_workbook
from projects.importer.describe import describe, project_changes, read_only_state
from projects.importer.form import read_form_workbook
from projects.importer.plan import (
    ImportPlan,
    ImportRejected,
    Problem,
    ProjectSpec,
)
from projects.importer.read import cell_text, open_form, open_workbook
from projects.models import BudgetYear, Project
from projects.services import (
    PROJECT_FIELDS,
    framework_categories,
    schedule_replace,
    tree_apply,
    tree_changes,
)

__all__ = [
    "MAX_FILE_BYTES",
    "ImportPlan",
    "ImportRejected",
    "Problem",
    "ProjectSpec",
    "import_apply",
    "import_prepare",
]

UNKNOWN_LAYOUT = "无法识别工作簿：应为含“项目”工作表的数据工作簿，或本系统导出的绩效目标表。"
NO_SUCH_UNIT = "单位 {code} 不存在，或您没有在该单位导入数据的权限"


NO_BUDGET_YEAR = "{year}年的预算年度尚未设置，不能导入该年度的数据（预算年度由系统管理员设置）"


# --- checks against the database and the plan -------------------------------------------------


def _check_against_database(plan: ImportPlan, problems: list[Problem], user) -> None:
    departments = {
        d.code: d
        for d in Department.objects.filter(
            code__in={p.department_code for p in plan.projects}
            | {d.code for d in plan.departments}
            | {s.department_code for s in plan.sections}
            | {s.department_code for s in plan.section_indicators}
        )
    }
    frameworks = {f.code: f for f in FrameworkVersion.objects.all()}
    years = {b.year: b for b in BudgetYear.objects.select_related("framework")}
    categories: dict[str, dict[tuple[str, str], SecondaryCategory]] = {}
    for category in SecondaryCategory.objects.select_related("primary__framework"):
        categories.setdefault(category.primary.framework.code, {})[
            (category.primary.name, category.name)
        ] = category
    existing = _existing_projects(plan)
    plan.versions = {key: project.version for key, project in existing.items()}
    unit_sections = {
        (s.department.code, s.name)
        for s in Section.objects.filter(department__in=departments.values()).select_related(
            "department"
        )
    } | {(s.department_code, s.name) for s in plan.sections}
    refused_units = set()

    def unit_ok(code: str, name: str, sheet: str, row: int, column: str) -> bool:
        # An outsider learns nothing about units they hold no role in: one message for both.
        if code in departments and (user is None or can_write(user, departments[code])):
            return True
        if user is not None:
            refused_units.add(code)
            problems.append(Problem(sheet, row, column, NO_SUCH_UNIT.format(code=code)))
            return False
        if not name and code not in plan.new_departments:
            problems.append(Problem(sheet, row, column, f"新单位 {code} 需要填写单位名称"))
            return False
        plan.new_departments.setdefault(code, name)
        return True

    def year_ok(year: int, sheet: str, row: int) -> bool:
        # A budget year is global configuration: an import by a user never creates one.
        if user is None or year in years:
            return True
        problems.append(Problem(sheet, row, "A列（年度）", NO_BUDGET_YEAR.format(year=year)))
        return False

    for spec in plan.departments:
        if unit_ok(spec.code, spec.name, "部门", spec.row, "B列（单位编码）"):
            year_ok(spec.year, "部门", spec.row)
    for sheet, specs in (("科室", plan.sections), ("科室指标", plan.section_indicators)):
        for spec in specs:
            if unit_ok(spec.department_code, "", sheet, spec.row, "B列（单位编码）"):
                year_ok(spec.year, sheet, spec.row)
    read_only = []
    confirmed = set(
        SelfEvaluation.objects.filter(
            project__in=existing.values(), status="confirmed"
        ).values_list("project_id", flat=True)
    )
    for spec in plan.projects:
        if spec.sheet == "指标":
            unit_ok(
                spec.department_code,
                spec.department_name,
                "指标",
                spec.indicators[0].row,
                "B列（项目编码）",
            )
            continue
        column = "B列（单位编码）" if plan.kind == "数据工作簿" else "单位编码"
        if not unit_ok(spec.department_code, spec.department_name, spec.sheet, spec.row, column):
            continue
        current = existing.get((spec.year, spec.code))
        if current and current.department.code != spec.department_code:
            # Codes are unique in a year: say the code is taken, never by whom.
            problems.append(Problem(spec.sheet, spec.row, "项目编码", CODE_TAKEN.format(spec=spec)))
            continue
        if current and (current.status != Status.DRAFT or current.pk in confirmed):
            read_only.append(spec)
        if spec.section_name and (spec.department_code, spec.section_name) not in unit_sections:
            problems.append(
                Problem(
                    spec.sheet,
                    spec.row,
                    "责任科室",
                    f"本单位没有科室“{spec.section_name}”，请先在“科室”工作表中列出",
                )
            )
        if user is not None and spec.year not in years:
            # A budget year is global configuration: an import by a user never creates one.
            column = "A列（年度）" if plan.kind == "数据工作簿" else "年度"
            problems.append(
                Problem(spec.sheet, spec.row, column, NO_BUDGET_YEAR.format(year=spec.year))
            )
            continue
        if not spec.framework_code:
            if spec.year in years:
                spec.framework_code = years[spec.year].framework.code
            elif current:
                spec.framework_code = current.framework.code
            else:
                problems.append(
                    Problem(
                        spec.sheet,
                        spec.row,
                        "指标体系",
                        f"{spec.year}年尚未设置指标体系，请在“指标体系”列填写版本（如 2020）",
                    )
                )
                continue
        if spec.framework_code not in frameworks:
            problems.append(
                Problem(
                    spec.sheet,
                    spec.row,
                    "指标体系",
                    f"未知的指标体系版本“{spec.framework_code}”，可选：{'、'.join(frameworks)}",
                )
            )
            continue
        if current and current.framework.code != spec.framework_code and spec.indicators is None:
            problems.append(
                Problem(
                    spec.sheet, spec.row, "指标体系", "更换指标体系时须同时提供该项目的全部指标"
                )
            )
    for spec in plan.projects:
        if spec.indicators is None or spec.framework_code not in categories:
            continue
        known = categories[spec.framework_code]
        names = {}
        for indicator in spec.indicators:
            sheet = "指标" if plan.kind == "数据工作簿" else spec.sheet
            if (indicator.primary, indicator.secondary) not in known:
                primaries = [p for p, _ in known]
                if indicator.primary not in primaries:
                    message = (
                        f"未知的一级指标“{indicator.primary}”，{spec.framework_code} 指标体系的"
                        f"一级指标为：{'、'.join(dict.fromkeys(primaries))}"
                    )
                    column = "C列（一级指标）"
                else:
                    valid = [s for p, s in known if p == indicator.primary]
                    message = (
                        f"“{indicator.primary}”下没有二级指标“{indicator.secondary}”，"
                        f"可选：{'、'.join(valid)}"
                    )
                    column = "D列（二级指标）"
                problems.append(Problem(sheet, indicator.row, column, message))
            if indicator.name in names:
                problems.append(
                    Problem(
                        sheet,
                        indicator.row,
                        "E列（三级指标）",
                        f"三级指标“{indicator.name}”与第{names[indicator.name]}行重复",
                    )
                )
            names.setdefault(indicator.name, indicator.row)
    if not problems:
        _check_read_only(plan, read_only, existing, categories, problems)
        _check_file_versions(plan, existing, categories, problems)
        _check_unit_years(plan, departments, problems)
    for spec in plan.section_indicators:
        if spec.department_code in refused_units:
            continue  # said once already; nothing of another unit's sections is told
        if (spec.department_code, spec.section) not in unit_sections:
            problems.append(
                Problem(
                    "科室指标",
                    spec.row,
                    "C列（科室）",
                    f"科室“{spec.section}”不存在，请在“科室”工作表中列出",
                )
            )
    if not problems:
        plan.changes = describe(plan, existing, categories)


CODE_TAKEN = "{spec.year}年的项目编码 {spec.code} 已被使用，不能导入到单位 {spec.department_code}"
READ_ONLY = "项目 {code} {status}，处于只读状态，不能通过导入修改（改动：{changes}）"


UNIT_YEAR_READ_ONLY = (
    "单位 {code} {year}年的部门整体绩效目标{status}，处于只读状态，不能通过导入修改"
)


def _check_unit_years(plan: ImportPlan, departments: dict, problems: list[Problem]) -> None:
    """Record the version of every unit-year whose 第一部分 the file may change, and refuse a
    change to one that is submitted or approved (an unchanged 部门 row of one passes)."""
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
            texts = (current.overall_target, current.safeguards)
            if texts != (spec.overall_target, spec.safeguards):
                message = STALE_UNIT_FILE.format(
                    code=spec.code, year=spec.year, old=spec.version, new=current.version
                )
                problems.append(Problem("部门", spec.row, VERSION_HEADER, message))
        if current is None or current.status == Status.DRAFT:
            continue
        if (current.overall_target, current.safeguards) != (spec.overall_target, spec.safeguards):
            problems.append(
                Problem(
                    "部门",
                    spec.row,
                    None,
                    UNIT_YEAR_READ_ONLY.format(
                        code=spec.code, year=spec.year, status=current.get_status_display()
                    ),
                )
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


def _check_read_only(plan, read_only, existing, categories, problems) -> None:
    """A submitted or approved project that the file leaves as it is, is skipped (and named in
    the preview); only a real change to one is refused."""
    for spec in read_only:
        current = existing[(spec.year, spec.code)]
        changes = project_changes(current, spec, categories)
        if changes:
            problems.append(
                Problem(
                    spec.sheet,
                    spec.row,
                    "项目编码",
                    READ_ONLY.format(
                        code=spec.code,
                        status=read_only_state(current),
                        changes="；".join(changes),
                    ),
                )
            )
        else:
            spec.skip = True


# --- entry points ----------------------------------------------------------------------------


def import_prepare(
    data: bytes, *, user=None, default_year: int | None = None, seen: tuple | None = None
) -> ImportPlan:
    """Read and check a workbook. `user` None means an administrator (the command), who may
    create units; otherwise only units where the user may write are accepted. `seen` is the
    (versions, unit_versions) of the plan a user previewed: anything changed since is refused,
    so a confirmation never writes over what the preview did not show."""
    wb = open_workbook(data)
    problems: list[Problem] = []
    if "项目" in wb.sheetnames:
        plan = read_data_workbook(wb, problems, user)
    elif wb.worksheets and "绩效目标表" in cell_text(wb.worksheets[0]["A1"].value):
        plan = read_form_workbook(open_form(data), problems, default_year)
    else:
        raise ImportRejected([Problem("文件", None, None, UNKNOWN_LAYOUT)])
    if not problems and not (
        plan.projects or plan.departments or plan.sections or plan.section_indicators
    ):
        problems.append(Problem("文件", None, None, "工作簿中没有可导入的数据"))
    if not problems:
        _check_against_database(plan, problems, user)
    if not problems and seen is not None:
        problems += _version_problems(plan, seen, (plan.versions, plan.unit_versions))
    if problems:
        raise ImportRejected(problems)
    return plan


def _version_problems(plan: ImportPlan, seen: tuple[dict, dict], now: tuple[dict, dict]):
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


def _existing_projects(plan: ImportPlan) -> dict[tuple[int, str], Project]:
    """The projects the plan names that exist already, with what an import compares."""
    indicators = Indicator.objects.select_related("category__primary")
    return {
        (p.year, p.code): p
        for p in Project.objects.filter(code__in=[s.code for s in plan.projects])
        .select_related("department", "framework", "section")
        .prefetch_related("schedule", Prefetch("indicators", queryset=indicators))
    }


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


def _lock_and_recheck(plan: ImportPlan) -> None:
    """Lock every project and unit-year the plan compared against, in a fixed order, and refuse
    the whole import when any of them changed since: a preview is never trusted at write time."""
    codes = {spec.code for spec in plan.projects}
    locked = Project.objects.select_for_update().filter(code__in=codes).order_by("pk")
    now_projects = {(p.year, p.code): p.version for p in locked}
    unit_years = (
        DepartmentYear.objects.select_for_update(of=("self",))
        .filter(department__code__in=[code for code, _ in plan.unit_versions])
        .select_related("department")
        .order_by("pk")
    )
    now_units = {
        (dy.department.code, dy.year): dy.version
        for dy in unit_years
        if (dy.department.code, dy.year) in plan.unit_versions
    }
    seen = (plan.versions, plan.unit_versions)
    if problems := _version_problems(plan, seen, (now_projects, now_units)):
        raise ImportRejected(problems)


@transaction.atomic
def import_apply(plan: ImportPlan, *, user=None) -> ImportPlan:
    """Write a checked plan; everything or nothing. Unchanged records are not written, and
    every record that is written gets a new version (an editor page opened before the import is
    then refused on save instead of silently undoing it)."""
    _lock_and_recheck(plan)
    for code, name in plan.new_departments.items():
        Department.objects.create(code=code, name=name)
    departments = {d.code: d for d in Department.objects.all()}
    frameworks = {f.code: f for f in FrameworkVersion.objects.all()}
    touched: set[tuple[str, int | None]] = set()  # unit-years whose 第一部分 changed
    for spec in plan.departments:
        department_year, created = DepartmentYear.objects.get_or_create(
            department=departments[spec.code], year=spec.year
        )
        texts = {"overall_target": spec.overall_target, "safeguards": spec.safeguards}
        if any(getattr(department_year, k) != v for k, v in texts.items()):
            for key, value in texts.items():
                setattr(department_year, key, value)
            department_year.save(update_fields=list(texts))
            touched.add((spec.code, spec.year))
    for spec in plan.sections:
        section, created = Section.objects.get_or_create(
            department=departments[spec.department_code],
            name=spec.name,
            defaults={"order": spec.order, "duties": spec.duties},
        )
        if created or (section.order, section.duties) != (spec.order, spec.duties):
            _refuse_if_stale(plan, spec.department_code, None, "科室", spec.row)
            section.order, section.duties = spec.order, spec.duties
            section.save()
            touched.add((spec.department_code, None))  # sections print in every year
    sections = {
        (s.department.code, s.name): s
        for s in Section.objects.filter(
            department__code__in={s.department_code for s in plan.section_indicators}
            | {p.department_code for p in plan.projects}
        ).select_related("department")
    }
    _apply_section_indicators(plan, sections, touched)
    _bump_unit_years(touched)
    _apply_projects(plan, departments, frameworks, sections, user)
    return plan


def _apply_section_indicators(plan: ImportPlan, sections: dict, touched: set) -> None:
    """Section indicators matched by key, then by (科室, name); a matched one keeps its place."""
    current = list(
        SectionIndicator.objects.filter(
            section__in=sections.values(), year__in={s.year for s in plan.section_indicators}
        )
    )
    by_key = {i.pk: i for i in current}
    by_name = {(i.section_id, i.year, i.name): i for i in current}
    last: dict = {}
    for indicator in current:
        slot = (indicator.section_id, indicator.year)
        last[slot] = max(last.get(slot, 0), indicator.order)
    for spec in plan.section_indicators:
        section = sections[(spec.department_code, spec.section)]
        indicator = by_key.get(spec.key)
        if indicator is None or indicator.year != spec.year:
            indicator = by_name.get((section.pk, spec.year, spec.name))
        values = {"section_id": section.pk, "name": spec.name, **spec.bounds}
        if indicator is None or indicator.section_id != section.pk:
            slot = (section.pk, spec.year)
            last[slot] = last.get(slot, 0) + 1
            values["order"] = last[slot]
        if indicator is not None and all(getattr(indicator, k) == v for k, v in values.items()):
            continue
        _refuse_if_stale(plan, spec.department_code, spec.year, "科室指标", spec.row)
        if indicator is not None:
            try:
                confirmed_ratings_unchanged([indicator])
            except ValidationError as refused:
                raise ImportRejected(
                    [Problem("科室指标", spec.row, None, refused.messages[0])]
                ) from None
        indicator = indicator or SectionIndicator(year=spec.year)
        for key, value in values.items():
            setattr(indicator, key, value)
        indicator.full_clean()
        indicator.save()
        touched.add((spec.department_code, spec.year))


def _refuse_if_stale(plan: ImportPlan, code: str, year: int | None, sheet: str, row) -> None:
    """A 科室 or 科室指标 row that would change a 第一部分 written since the file was."""
    for (unit, unit_year), (old, new) in plan.stale_units.items():
        if unit == code and year in (None, unit_year):
            message = STALE_UNIT_FILE.format(code=code, year=unit_year, old=old, new=new)
            raise ImportRejected([Problem(sheet, row, None, message)])


def _bump_unit_years(touched: set) -> None:
    for code, year in touched:
        years = DepartmentYear.objects.filter(department__code=code)
        if year is not None:
            years = years.filter(year=year)
        years.update(version=F("version") + 1)


def _apply_projects(plan, departments, frameworks, sections, user) -> None:
    existing = _existing_projects(plan)
    categories = {code: framework_categories(f) for code, f in frameworks.items()}
    last_order = {
        (row["department_id"], row["year"]): row["last"]
        for row in Project.objects.values("department_id", "year").annotate(
            last=Max("booklet_order")
        )
    }
    ensured = set()
    for spec in plan.projects:
        if spec.skip:
            continue
        department, framework = departments[spec.department_code], frameworks[spec.framework_code]
        if (department.pk, spec.year) not in ensured:
            # Only the superuser's command (user None) gets here with a year not set up yet.
            BudgetYear.objects.get_or_create(
                year=spec.year,
                defaults={
                    "framework": framework,
                    "milestone_months": sorted(spec.schedule) or [3, 6, 10, 12],
                },
            )
            DepartmentYear.objects.get_or_create(department=department, year=spec.year)
            ensured.add((department.pk, spec.year))
        project = existing.get((spec.year, spec.code))
        if project is None:
            key = (department.pk, spec.year)
            last_order[key] = last_order.get(key) or 0
            last_order[key] += 1
            project = Project(
                year=spec.year, code=spec.code, department=department, booklet_order=last_order[key]
            )
        _apply_project(project, spec, framework, sections, categories, user)


def _apply_project(project, spec, framework, sections, categories, user) -> None:
    values = {name: getattr(spec, name) for name in PROJECT_FIELDS}
    values["framework_id"] = framework.pk
    if spec.section_name:
        values["section_id"] = sections[(spec.department_code, spec.section_name)].pk
    is_new = project._state.adding
    fields_changed = [k for k, v in values.items() if getattr(project, k) != v]
    if is_new or fields_changed:
        for name, value in values.items():
            setattr(project, name, value)
        project.full_clean(
            exclude=["department", "framework", "section", "source"],
            validate_unique=is_new,
            validate_constraints=False,
        )
    if is_new:
        project.save()
    elif fields_changed:
        project.version += 1
        project.save(update_fields=[*fields_changed, "version", "updated_at"])
    written = spec.sheet != "指标" and schedule_replace(project=project, planned=spec.schedule)
    if spec.indicators is not None:
        changes = tree_changes(
            project=project,
            rows=[i.as_row() for i in spec.indicators],
            current=[] if is_new else list(project.indicators.all()),
            categories=categories[spec.framework_code],
        )
        tree_apply(changes, user=user)
        written = written or bool(changes)
    if written and not (is_new or fields_changed):
        Project.objects.filter(pk=project.pk).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
