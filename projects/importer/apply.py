"""Writing a checked plan, in one transaction: every record the plan was checked against is
locked and compared again first; then units, 第一部分, sections, section indicators and
projects are written, unchanged records left alone. A project's fields are the services' one
list, its schedule and indicators are written by the services the editor uses."""

import dataclasses

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from departments.models import Department, DepartmentYear, Section, SectionIndicator
from departments.services import confirmed_ratings_unchanged
from indicators.models import FrameworkVersion
from perfbudget.lib.bulk import bulk_update_with_history
from perfbudget.lib.memory import collector_paused
from projects.importer.check import STALE_UNIT_FILE, existing_projects, version_problems
from projects.importer.contract import INDICATOR_SHEET, SECTION_INDICATOR_SHEET, SECTION_SHEET
from projects.importer.matching import section_indicator_changes
from projects.importer.plan import ImportPlan, ImportRejected, Problem
from projects.models import Project
from projects.services import (
    TreeChanges,
    budget_year_ensure,
    department_year_ensure,
    framework_categories,
    schedule_replace,
    tree_apply,
    tree_changes,
)


@transaction.atomic
def import_apply(plan: ImportPlan, *, user=None) -> ImportPlan:
    """Write a checked plan; everything or nothing. Unchanged records are not written, and
    every record that is written gets a new version (an editor page opened before the import is
    then refused on save instead of silently undoing it)."""
    with collector_paused():
        return _apply(plan, user)


def _apply(plan: ImportPlan, user) -> ImportPlan:
    _lock_and_recheck(plan)
    for code, name in plan.new_departments.items():
        Department.objects.create(code=code, name=name)
    departments = {d.code: d for d in Department.objects.all()}
    frameworks = {f.code: f for f in FrameworkVersion.objects.all()}
    touched: set[tuple[str, int | None]] = set()  # unit-years whose 第一部分 changed
    _apply_departments(plan, departments, touched)
    _apply_sections(plan, departments, touched)
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


def _apply_departments(plan: ImportPlan, departments: dict, touched: set) -> None:
    for spec in plan.departments:
        department_year = department_year_ensure(department=departments[spec.code], year=spec.year)
        texts = {"overall_target": spec.overall_target, "safeguards": spec.safeguards}
        if spec.changes(department_year):
            for key, value in texts.items():
                setattr(department_year, key, value)
            department_year.save(update_fields=list(texts))
            touched.add((spec.code, spec.year))


def _apply_sections(plan: ImportPlan, departments: dict, touched: set) -> None:
    units = {departments[spec.department_code].pk for spec in plan.sections}
    existing = {(s.department_id, s.name): s for s in Section.objects.filter(department__in=units)}
    for spec in plan.sections:
        department = departments[spec.department_code]
        section = existing.get((department.pk, spec.name))
        created = section is None
        if created:
            section = Section(department=department, name=spec.name)
        if created or spec.changes(section):
            _refuse_if_stale(plan, spec.department_code, None, SECTION_SHEET, spec.row)
            section.order, section.duties = spec.order, spec.duties
            section.save()
            touched.add((spec.department_code, None))  # sections print in every year


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
    if problems := version_problems(plan, seen, (now_projects, now_units)):
        raise ImportRejected(problems)


def _apply_section_indicators(plan: ImportPlan, sections: dict, touched: set) -> None:
    """Section indicators matched by key, then by (科室, name); a matched one keeps its place."""
    for change in section_indicator_changes(plan, sections):
        spec, indicator = change.spec, change.indicator
        _refuse_if_stale(plan, spec.department_code, spec.year, SECTION_INDICATOR_SHEET, spec.row)
        if indicator is not None:
            try:
                confirmed_ratings_unchanged([indicator])
            except ValidationError as refused:
                raise ImportRejected(
                    [Problem(SECTION_INDICATOR_SHEET, spec.row, None, refused.messages[0])]
                ) from None
        indicator = indicator or SectionIndicator(year=spec.year)
        for key, value in change.values.items():
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
    # A project the preview found unchanged, whose version is still the one the preview read
    # (compared under the lock): nothing of it changed since, so there is nothing to write and
    # it is not read again.
    unchanged = {(spec.year, spec.code) for spec in plan.projects if spec.changes == []}
    existing = existing_projects(plan, leave_out=unchanged)
    categories = {code: framework_categories(f) for code, f in frameworks.items()}
    last_order = {
        (row["department_id"], row["year"]): row["last"]
        for row in Project.objects.values("department_id", "year").annotate(
            last=Max("booklet_order")
        )
    }
    ensured, writes = set(), _Writes()
    for spec in plan.projects:
        if spec.skip or (spec.year, spec.code) in unchanged:
            continue
        department, framework = departments[spec.department_code], frameworks[spec.framework_code]
        if (department.pk, spec.year) not in ensured:
            # Only the superuser's command (user None) gets here with a year not set up yet.
            budget_year_ensure(
                year=spec.year, framework=framework, milestones=sorted(spec.schedule)
            )
            department_year_ensure(department=department, year=spec.year)
            ensured.add((department.pk, spec.year))
        project = existing.get((spec.year, spec.code))
        if project is None:
            key = (department.pk, spec.year)
            last_order[key] = last_order.get(key) or 0
            last_order[key] += 1
            project = Project(
                year=spec.year, code=spec.code, department=department, booklet_order=last_order[key]
            )
        _apply_project(project, spec, framework, sections, categories, writes)
    writes.apply(user)


@dataclasses.dataclass
class _Writes:
    """What the projects of an import write, gathered so that each kind of write is one
    statement for all of them (the SQL does not grow with the number of projects): changed
    project rows, their indicators, and the new version of a project whose schedule or
    indicators alone changed."""

    projects: list[tuple[Project, list[str]]] = dataclasses.field(default_factory=list)
    tree: TreeChanges = dataclasses.field(default_factory=TreeChanges)
    bumped: set[int] = dataclasses.field(default_factory=set)

    def apply(self, user) -> None:
        if self.projects:
            fields = sorted({f for _, changed in self.projects for f in changed})
            bulk_update_with_history(
                [p for p, _ in self.projects],
                Project,
                [*fields, "version", "updated_at"],
                default_user=user,
            )
        tree_apply(self.tree, user=user)
        if self.bumped:
            Project.objects.filter(pk__in=self.bumped).update(
                version=F("version") + 1, updated_at=timezone.now()
            )


def _apply_project(project, spec, framework, sections, categories, writes: _Writes) -> None:
    values = {name: getattr(spec, name) for name in Project.OWN_FIELDS}
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
        project.save()  # its indicators need its id
    elif fields_changed:
        project.version += 1
        project.updated_at = timezone.now()
        writes.projects.append((project, fields_changed))
    written = spec.sheet != INDICATOR_SHEET and schedule_replace(
        project=project, planned=spec.schedule
    )
    if spec.indicators is not None:
        changes = tree_changes(
            project=project,
            rows=[i.as_row() for i in spec.indicators],
            current=[] if is_new else list(project.indicators.all()),
            categories=categories[spec.framework_code],
        )
        writes.tree.update.extend(changes.update)
        writes.tree.create.extend(changes.create)
        writes.tree.delete.extend(changes.delete)
        written = written or bool(changes)
    if written and not (is_new or fields_changed):
        writes.bumped.add(project.pk)
