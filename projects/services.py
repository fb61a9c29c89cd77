"""Writes that touch several models. Each is atomic: all of it happens, or none."""

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from departments.models import (
    GRADE_FIELDS,
    Department,
    DepartmentYear,
    Section,
    SectionIndicator,
)
from departments.scales import parse_bound
from indicators.models import FrameworkVersion, Indicator, SecondaryCategory
from indicators.values import parse_value
from perfbudget.lib.changes import last_change
from perfbudget.lib.grades import Status
from projects.models import (
    MAX_INDICATORS_PER_PROJECT,
    TOO_MANY_INDICATORS,
    BudgetYear,
    Project,
    ScheduleEntry,
)


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def budget_year_ensure(*, year: int, framework_code: str, milestones: list[int]) -> BudgetYear:
    framework = FrameworkVersion.objects.get(code=framework_code)
    budget_year, _ = BudgetYear.objects.get_or_create(
        year=year, defaults={"framework": framework, "milestone_months": milestones}
    )
    return budget_year


def sections_replace(*, department: Department, year: int, sections: list[dict]) -> None:
    """Sections with their duties, and their rating indicators of the year."""
    for spec in sections:
        section, _ = Section.objects.update_or_create(
            department=department,
            name=spec["name"],
            defaults={"order": spec.get("order", 0), "duties": spec.get("duties", "")},
        )
        keep = []
        for order, item in enumerate(spec.get("indicators", []), 1):
            bounds = {}
            for grade, field, default_op in GRADE_FIELDS:
                op, value = parse_bound(item["scale"][grade], default_op)
                bounds[f"{field}_op"], bounds[f"{field}_bound"] = op, value
            indicator, _ = SectionIndicator.objects.update_or_create(
                section=section, year=year, name=item["name"], defaults={"order": order, **bounds}
            )
            indicator.full_clean()
            keep.append(indicator.pk)
        SectionIndicator.objects.filter(section=section, year=year).exclude(pk__in=keep).delete()


def indicator_count_check(count: int) -> None:
    """The last line of every writer of a project's indicators: no project holds more than
    MAX_INDICATORS_PER_PROJECT (its table would take minutes to render)."""
    if count > MAX_INDICATORS_PER_PROJECT:
        raise ValidationError(
            TOO_MANY_INDICATORS.format(limit=MAX_INDICATORS_PER_PROJECT, count=count),
            code="too_many_indicators",
        )


def framework_categories(framework) -> dict[tuple[str, str], SecondaryCategory]:
    return {
        (c.primary.name, c.name): c
        for c in SecondaryCategory.objects.filter(primary__framework=framework).select_related(
            "primary"
        )
    }


@dataclass
class TreeChanges:
    """What making a project's 三级 indicators equal to a list of rows writes."""

    update: list[tuple[Indicator, list[str]]] = dataclasses.field(default_factory=list)
    create: list[Indicator] = dataclasses.field(default_factory=list)
    delete: list[Indicator] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.update or self.create or self.delete)


def _row_values(row: dict, category: SecondaryCategory) -> dict:
    value = parse_value(row.get("指标值", ""))
    return {
        "category_id": category.pk,
        "name": row["三级指标"],
        "description": row.get("绩效指标描述", ""),
        "value_text": value.text,
        "operator": value.operator,
        "value_number": value.number,
        "value_unit": value.unit,
        "basis": row.get("指标值确定依据", ""),
    }


def tree_changes(
    *, project: Project, rows: list[dict], current: list[Indicator], categories: dict
) -> TreeChanges:
    """Pair rows (named by 一级/二级 text, with an optional "key": an indicator's id) with the
    project's indicators by identity, never by position: first by key, then by (二级, 三级 name).
    A paired indicator keeps its place in the table (the order of rows in a file, which users
    sort, says nothing); a new one goes after its 二级's existing rows, in the rows' order.
    Unpaired indicators are deleted."""
    indicator_count_check(len(rows))
    unpaired = {i.pk: i for i in current}
    by_name = {(i.category_id, i.name): i for i in current}
    last = {}
    for indicator in current:
        last[indicator.category_id] = max(last.get(indicator.category_id, 0), indicator.order)
    paired: list[Indicator | None] = [unpaired.pop(row.get("key"), None) for row in rows]
    for n, row in enumerate(rows):
        if paired[n] is None:
            category = categories[(row["一级指标"], row["二级指标"])]
            candidate = by_name.get((category.pk, row["三级指标"]))
            if candidate is not None and candidate.pk in unpaired:
                paired[n] = unpaired.pop(candidate.pk)
    changes = TreeChanges(delete=list(unpaired.values()))
    for row, old in zip(rows, paired, strict=True):
        category = categories[(row["一级指标"], row["二级指标"])]
        values = _row_values(row, category)
        if old is None or old.category_id != category.pk:
            last[category.pk] = last.get(category.pk, 0) + 1
            values["order"] = last[category.pk]
        if old is not None and old.value_text == values["value_text"]:
            # The same 指标值 as stored: how it was entered (a 定性 text 12场, or 12 and 场 in
            # the editor's boxes) stays as it is; reading it again is no change.
            for key in ("operator", "value_number", "value_unit"):
                del values[key]
        indicator = old or Indicator(project=project)
        changed = [k for k, v in values.items() if getattr(indicator, k) != v]
        if old is not None and not changed:
            continue
        for key in changed:
            setattr(indicator, key, values[key])
        # Field rules only: the foreign keys are known and the constraints hold in the database.
        indicator.full_clean(
            exclude=["project", "category"], validate_unique=False, validate_constraints=False
        )
        if old is None:
            changes.create.append(indicator)
        else:
            changes.update.append((indicator, changed))
    return changes


def tree_apply(changes: TreeChanges, *, user=None) -> None:
    for indicator in changes.delete:
        indicator.delete()
    if changes.update:
        # Only the columns that changed: Django builds a CASE expression per row and column.
        fields = sorted({f.removesuffix("_id") for _, changed in changes.update for f in changed})
        bulk_update_with_history(
            [i for i, _ in changes.update], Indicator, fields, default_user=user
        )
    if changes.create:
        bulk_create_with_history(changes.create, Indicator, default_user=user)


def project_tree_replace(
    *,
    project: Project,
    rows: list[dict],
    current: list[Indicator] | None = None,
    categories: dict | None = None,
    user=None,
) -> bool:
    """Make the project's 三级 indicators equal to rows (see `tree_changes`); unchanged rows
    are not written, every write is kept in the history. Returns whether anything changed."""
    categories = categories if categories is not None else framework_categories(project.framework)
    if current is None:
        current = list(project.indicators.all())
    changes = tree_changes(project=project, rows=rows, current=current, categories=categories)
    tree_apply(changes, user=user)
    return bool(changes)


def _schedule_set(
    *, project: Project, values: dict[int, Decimal | None], field: str, clear_others: bool
) -> bool:
    """Write one column of the schedule (plan or actual) without touching the other. With
    `clear_others`, months missing from values lose their value in that column. Returns
    whether anything was written."""
    other = "actual_percent" if field == "planned_percent" else "planned_percent"
    entries = {entry.month: entry for entry in project.schedule.all()}
    months = set(entries) | set(values) if clear_others else set(values)
    written = False
    for month in sorted(months):
        value = values.get(month)
        entry = entries.get(month)
        if entry is None:
            if value is None:
                continue
            entry = ScheduleEntry(project=project, month=month)
        elif getattr(entry, field) == value:
            continue
        written = True
        if value is None and getattr(entry, other) is None:
            entry.delete()
            continue
        setattr(entry, field, value)
        entry.full_clean(exclude=["project"])
        entry.save()
    return written


def schedule_replace(*, project: Project, planned: dict[int, Decimal | None]) -> bool:
    """Set the planned percents; recorded actual spending at each milestone is kept."""
    return _schedule_set(
        project=project, values=planned, field="planned_percent", clear_others=True
    )


@transaction.atomic
def unit_year_load(*, data: dict) -> DepartmentYear:
    """Load a whole unit-year (the reference document's structure); running it again updates
    the same records instead of duplicating them."""
    year = data["year"]
    budget_year = budget_year_ensure(
        year=year, framework_code=data["framework"], milestones=data["milestones"]
    )
    dept = data["department"]
    department, _ = Department.objects.update_or_create(
        code=dept["code"], defaults={"name": dept["name"]}
    )
    department_year, _ = DepartmentYear.objects.update_or_create(
        department=department,
        year=year,
        defaults={
            "overall_target": dept.get("overall_target", ""),
            "safeguards": dept.get("safeguards", ""),
        },
    )
    sections_replace(department=department, year=year, sections=data.get("sections", []))
    sections = {s.name: s for s in department.sections.all()}
    for order, spec in enumerate(data.get("projects", []), 1):
        project, _ = Project.objects.update_or_create(
            year=year,
            code=spec["code"],
            defaults={
                "department": department,
                "section": sections.get(spec.get("section") or ""),
                "table_number": spec["table_number"],
                "booklet_order": spec.get("booklet_order", order),
                "table_name": spec["table_name"],
                "name": spec["name"],
                "budget_total": _decimal(spec["budget_total"]),
                "fiscal_funds": _decimal(spec["fiscal_funds"]),
                "other_funds": _decimal(spec.get("other_funds")),
                "fund_use": spec.get("fund_use", ""),
                "target": spec.get("target", ""),
                "framework": budget_year.framework,
            },
        )
        project.full_clean()
        schedule_replace(
            project=project,
            planned={int(m): _decimal(p) for m, p in spec.get("schedule", {}).items()},
        )
        project_tree_replace(project=project, rows=spec.get("indicators", []))
    return department_year


def _field_names(fields: dict) -> list[str]:
    return [Project._meta.get_field(name).name for name in fields]


class StaleEdit(Exception):
    """Someone else saved the project after this editor loaded it: who, and when (local)."""

    def __init__(self, changed_by: str, changed_at):
        self.changed_by, self.changed_at = changed_by, changed_at
        super().__init__(f"changed by {changed_by} at {changed_at}")


STALE_EDIT = (
    "保存被拒绝：{who}已于 {when} 修改并保存了这个项目，您看到的是修改前的内容。"
    "您填写的内容仍在下方，未被保存；请打开最新版本核对后再修改。"
)


def indicators_sync(*, project: Project, rows: list[dict]) -> None:
    """Make the project's indicators equal to the editor's rows, matched by id: unchanged rows
    are not written, every other change is saved one by one into the history."""
    indicator_count_check(len(rows))
    existing = {i.pk: i for i in project.indicators.all()}
    counters: dict[int, int] = {}
    keep = set()
    for row in rows:
        category = row["category"]
        counters[category.pk] = counters.get(category.pk, 0) + 1
        values = {
            "category_id": category.pk,
            "order": counters[category.pk],
            **{
                k: row[k]
                for k in (
                    "name",
                    "description",
                    "value_text",
                    "operator",
                    "value_number",
                    "value_unit",
                    "basis",
                )
            },
        }
        indicator = existing.get(row.get("id"))
        if indicator is None:
            indicator = Indicator(project=project)
        else:
            keep.add(indicator.pk)
            if all(getattr(indicator, k) == v for k, v in values.items()):
                continue
        for key, value in values.items():
            setattr(indicator, key, value)
        indicator.full_clean(exclude=["project", "category"])
        indicator.save()
    for pk, indicator in existing.items():
        if pk not in keep:
            indicator.delete()


@transaction.atomic
def project_save(
    *,
    project: Project,
    fields: dict,
    planned: dict[int, Decimal | None],
    rows: list[dict],
    expected_version: int | None,
) -> Project:
    """Save the editor's project, schedule and indicators together.

    A project loaded at one version and saved after someone else's save, submission, review or
    import is refused with `StaleEdit`: the version is checked and raised in the same statement
    (which also locks the row), so two writes can never both pass. Only the editor's own fields
    are written, onto the row as it is now: status and review fields are never carried over
    from the page's copy."""
    if project.pk:
        claimed = Project.objects.filter(
            pk=project.pk, version=expected_version, status=Status.DRAFT
        ).update(version=F("version") + 1)
        if not claimed:
            raise StaleEdit(*last_change(project))
        project = Project.objects.get(pk=project.pk)
        if project.evaluation_confirmed():
            raise StaleEdit(*last_change(project))
    for key, value in fields.items():
        setattr(project, key, value)
    is_new = project.pk is None
    project.full_clean()
    if is_new:
        project.save()
        department_year_ensure(department=project.department, year=project.year)
    else:
        project.save(update_fields=[*_field_names(fields), "updated_at"])
    schedule_replace(project=project, planned=planned)
    indicators_sync(project=project, rows=rows)
    return project


class CopyRefused(Exception):
    """A copy to another year that cannot be made; the message says why, in Chinese."""


NO_BUDGET_YEAR = "{year}年的预算年度尚未设置，不能结转到该年度（预算年度由系统管理员设置）"


def _target_budget_year(source_year: int, year: int) -> BudgetYear:
    if year == source_year:
        raise CopyRefused("目标年度不能与原年度相同")
    if not 2000 <= year <= 2100:
        raise CopyRefused("目标年度应在 2000 到 2100 之间")
    # A budget year is global (every unit's default year, its framework and milestones): only
    # a superuser sets one up, never a copy as a side effect.
    existing = BudgetYear.objects.filter(year=year).first()
    if existing is None:
        raise CopyRefused(NO_BUDGET_YEAR.format(year=year))
    return existing


def _copy_project(project: Project, budget_year: BudgetYear) -> Project:
    year = budget_year.year
    if Project.objects.filter(year=year, code=project.code).exists():
        raise CopyRefused(f"{year}年已有项目编码为 {project.code} 的项目")
    framework = budget_year.framework
    categories = {
        (c.primary.name, c.name): c
        for c in SecondaryCategory.objects.filter(primary__framework=framework).select_related(
            "primary"
        )
    }
    indicators = list(project.indicators.select_related("category__primary").order_by("id"))
    unmapped = {
        f"{i.category.primary.name} / {i.category.name}"
        for i in indicators
        if (i.category.primary.name, i.category.name) not in categories
    }
    if unmapped:
        raise CopyRefused(
            f"{year}年使用 {framework.code} 指标体系，"
            f"没有以下二级指标：{'、'.join(sorted(unmapped))}"
        )
    copy = Project(
        department=project.department,
        year=year,
        section=project.section,
        booklet_order=project.booklet_order,
        code=project.code,
        **{name: getattr(project, name) for name in Project.OWN_FIELDS},
        framework=framework,
        source=project,
    )
    copy.full_clean()
    copy.save()
    for entry in project.schedule.all():
        if entry.planned_percent is not None:
            ScheduleEntry.objects.create(
                project=copy, month=entry.month, planned_percent=entry.planned_percent
            )
    for indicator in indicators:
        Indicator.objects.create(
            project=copy,
            category=categories[(indicator.category.primary.name, indicator.category.name)],
            order=indicator.order,
            name=indicator.name,
            description=indicator.description,
            value_text=indicator.value_text,
            operator=indicator.operator,
            value_number=indicator.value_number,
            value_unit=indicator.value_unit,
            basis=indicator.basis,
        )
    return copy


def department_year_ensure(*, department: Department, year: int) -> DepartmentYear:
    """The unit's year that a project's pages link to (第一部分 may stay empty)."""
    department_year, _ = DepartmentYear.objects.get_or_create(department=department, year=year)
    return department_year


@transaction.atomic
def project_copy_to_year(*, project: Project, year: int) -> Project:
    """Copy a project into another year as a draft, linked to its source. The unit gets that
    year's 第一部分 if it has none, so the copy's unit page exists."""
    copy = _copy_project(project, _target_budget_year(project.year, year))
    department_year_ensure(department=project.department, year=year)
    return copy


@transaction.atomic
def unit_year_copy(*, department_year: DepartmentYear, year: int) -> DepartmentYear:
    """Copy a whole unit-year — 第一部分, the sections' rating indicators and every project —
    into another year as drafts."""
    budget_year = _target_budget_year(department_year.year, year)
    department = department_year.department
    if DepartmentYear.objects.filter(department=department, year=year).exists():
        raise CopyRefused(f"{department.name}已有{year}年的绩效目标，不能重复结转")
    copy = DepartmentYear.objects.create(
        department=department,
        year=year,
        overall_target=department_year.overall_target,
        safeguards=department_year.safeguards,
    )
    for indicator in SectionIndicator.objects.filter(
        section__department=department, year=department_year.year
    ):
        indicator.pk, indicator.id, indicator.year = None, None, year
        indicator._state.adding = True
        indicator.save()
    for project in department.projects.filter(year=department_year.year).order_by("booklet_order"):
        _copy_project(project, budget_year)
    return copy


@transaction.atomic
def booklet_order_save(*, projects: list[Project], positions: dict[int, int]) -> None:
    """Number the tables 1, 2, 3 … in the order of the positions given (ties keep the old
    order); only projects whose place changes are written."""
    ranked = sorted(projects, key=lambda p: (positions[p.pk], p.booklet_order, p.pk))
    for place, project in enumerate(ranked, 1):
        if project.booklet_order != place:
            project.booklet_order = place
            project.save(update_fields=["booklet_order", "updated_at"])


class MonitoringRefused(Exception):
    """Actual spending that cannot be recorded; the message says why, in Chinese."""


@transaction.atomic
def monitoring_save(*, project: Project, actual: dict[int, Decimal | None]) -> None:
    """Record the actual cumulative spending (%) at each milestone; the plan is kept."""
    previous = None
    for month in sorted(actual):
        value = actual[month]
        if value is None:
            continue
        if not 0 <= value <= 100:
            raise MonitoringRefused(f"{month}月底的实际累计支出应在 0% 到 100% 之间")
        if previous is not None and value < previous:
            raise MonitoringRefused(f"{month}月底的实际累计支出不能比前一节点小")
        previous = value
    _schedule_set(project=project, values=actual, field="actual_percent", clear_others=False)


class UnitYearRefused(Exception):
    """A unit-year that cannot be created; the message says why, in Chinese."""


NO_UNIT_BUDGET_YEAR = "{year}年的预算年度尚未设置，不能新建该年度（预算年度由系统管理员设置）"
UNIT_YEAR_EXISTS = "本单位已有{year}年的绩效目标。"


def unit_year_create(*, department: Department, year: int) -> DepartmentYear:
    """Open a budget year for one unit: its 第一部分 as an empty draft. The year itself (its
    framework and milestones, shared by every unit) is a superuser's to set."""
    if not BudgetYear.objects.filter(year=year).exists():
        raise UnitYearRefused(NO_UNIT_BUDGET_YEAR.format(year=year))
    department_year, created = DepartmentYear.objects.get_or_create(
        department=department, year=year
    )
    if not created:
        raise UnitYearRefused(UNIT_YEAR_EXISTS.format(year=year))
    return department_year
