"""A project's indicator tree and schedule: what an edit changes (`tree_changes`), writing it
(`tree_apply`), the schedule, and the limit on indicators. The one writer of indicators."""

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from simple_history.utils import bulk_create_with_history

from indicators.models import Indicator, SecondaryCategory
from indicators.values import parse_value
from perfbudget.lib.bulk import bulk_update_with_history
from projects.models import (
    MAX_INDICATORS_PER_PROJECT,
    TOO_MANY_INDICATORS,
    Project,
    ScheduleEntry,
)


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
