"""A project's own page writes: the editor's save (fields, schedule, indicators, under the
version the page was opened at), the booklet order, 执行监控's actual spending."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F

from indicators.models import Indicator
from perfbudget.lib.changes import last_change
from perfbudget.lib.grades import Status
from projects.models import (
    Project,
)
from projects.services.tree import _schedule_set, indicator_count_check, schedule_replace
from projects.services.unit_years import department_year_ensure


def _field_names(fields: dict) -> list[str]:
    return [Project._meta.get_field(name).name for name in fields]


class StaleEdit(Exception):
    """Someone else saved the project after this editor loaded it: who, and when (local)."""

    def __init__(self, changed_by: str, changed_at):
        self.changed_by, self.changed_at = changed_by, changed_at
        super().__init__(f"changed by {changed_by} at {changed_at}")


EVALUATION_CONFIRMED = "项目的绩效自评已确认，指标和目标处于只读状态，不能修改。"


class EvaluationFrozen(Exception):
    """A save of a project whose confirmed 绩效自评 froze its targets (confirmed after the
    editor was opened); the message says so."""


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
            raise EvaluationFrozen(EVALUATION_CONFIRMED)
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


class OrderRefused(Exception):
    """The booklet's order may not change now; the message says why, in Chinese."""


ORDER_READ_ONLY = (
    "本年度部门绩效目标{status}，目录顺序处于只读状态；如需调整，请由单位管理员重新打开。"
)


def order_refusal(department_year) -> str:
    """Why the booklet may not be reordered ("" while its 第一部分 is a draft): the order is
    the submitted or approved booklet's."""
    if department_year.status == Status.DRAFT:
        return ""
    return ORDER_READ_ONLY.format(status=department_year.get_status_display())


@transaction.atomic
def booklet_order_save(
    *, department_year, projects: list[Project], positions: dict[int, int]
) -> None:
    """Number the tables 1, 2, 3 … in the order of the positions given (ties keep the old
    order); only projects whose place changes are written. The unit-year is locked first, so
    a submission landing at the same time is seen and the order refused."""
    fresh = type(department_year).objects.select_for_update().get(pk=department_year.pk)
    if refusal := order_refusal(fresh):
        raise OrderRefused(refusal)
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
