"""The audit trail: who changed what and when, field by field, from the records' history."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from departments.models import DepartmentYear, SectionIndicator
from indicators.models import Indicator, IndicatorResult, SelfEvaluation
from perfbudget.lib.numbers import format_number
from projects.documents.lists import Column, ListSheet, list_workbook
from projects.models import Project, ScheduleEntry

ACTIONS = {"+": "新建", "~": "修改", "-": "删除"}
HIDDEN_FIELDS = {"version", "updated_at", "id", "project", "section", "department"}
USER_FIELDS = {"reviewed_by", "submitted_by"}


@dataclass
class Entry:
    at: datetime
    user: str
    what: str
    action: str
    reason: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (field, old, new)


def _label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # a field of the history model only
        return name


def _display(model, name: str, value, users: dict) -> str:
    """A stored value as a person reads it: choice labels, user names, local times."""
    if value is None or value == "":
        return ""
    try:
        field = model._meta.get_field(name)
    except Exception:  # a field of the history model only
        return str(value)
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if (
        field.is_relation
        and field.related_model is not None
        and field.related_model._meta.model_name == "user"
    ):
        return users.get(value, str(value))
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return format_number(value)  # 150.000000 → 150, as the forms print it
    return str(value)


UNRECORDED = "（修改前未记录）"


def _created(record, model, users: dict, before: str = "") -> list[tuple[str, str, str]]:
    """What a record was created with: every filled field of its own (not the links); or, for
    a change to a record whose earlier state left no history (a bulk load that kept none),
    what it holds now, each value's `before` marked unrecorded."""
    out = []
    for own in model._meta.concrete_fields:
        if own.name in HIDDEN_FIELDS or own.is_relation and own.name not in USER_FIELDS:
            continue
        shown = _display(model, own.name, getattr(record, own.attname, None), users)
        if shown:
            out.append((_label(model, own.name), before, shown))
    return out


def _user_names(records) -> dict:
    from django.contrib.auth import get_user_model

    ids = {
        getattr(r, name, None) for r in records for name in ("reviewed_by_id", "submitted_by_id")
    } - {None}
    return {
        u.pk: u.get_full_name() or u.username for u in get_user_model().objects.filter(pk__in=ids)
    }


def _entries(records, model, describe) -> list[Entry]:
    """Diff each record with the one before it of the same object, in memory."""
    out, previous = [], {}
    records = sorted(records, key=lambda r: (r.history_date, r.history_id))
    users = _user_names(records)
    for record in records:
        before = previous.get(record.id)
        changes = []
        if record.history_type == "+":
            changes = _created(record, model, users)
        elif record.history_type == "~" and before is None:
            changes = _created(record, model, users, UNRECORDED)
        elif record.history_type == "~":
            for change in record.diff_against(before).changes:
                if change.field not in HIDDEN_FIELDS:
                    old = _display(model, change.field, change.old, users)
                    new = _display(model, change.field, change.new, users)
                    changes.append((_label(model, change.field), old, new))
            if not changes and not record.history_change_reason:
                previous[record.id] = record
                continue
        user = record.history_user
        out.append(
            Entry(
                at=record.history_date,
                user=(user.get_full_name() or user.username) if user else "系统",
                what=describe(record),
                action=ACTIONS.get(record.history_type, record.history_type),
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
        previous[record.id] = record
    return out


def project_trail(project: Project) -> list[Entry]:
    records = project.history.select_related("history_user")
    indicators = Indicator.history.filter(project_id=project.pk).select_related("history_user")
    schedule = ScheduleEntry.history.filter(project_id=project.pk).select_related("history_user")
    entries = _entries(records, Project, lambda r: "项目")
    entries += _entries(indicators, Indicator, lambda r: f"三级指标“{r.name}”")
    entries += _entries(schedule, ScheduleEntry, lambda r: f"资金支出计划 {r.month}月底")
    # The year-end self-evaluation and each indicator's result, saved on the 绩效自评 page.
    evaluation = SelfEvaluation.history.filter(project_id=project.pk)
    entries += _entries(
        evaluation.select_related("history_user"), SelfEvaluation, lambda r: "绩效自评"
    )
    names = dict(Indicator.history.filter(project_id=project.pk).values_list("id", "name"))
    results = IndicatorResult.history.filter(indicator_id__in=list(names))
    entries += _entries(
        results.select_related("history_user"),
        IndicatorResult,
        lambda r: f"绩效自评：三级指标“{names.get(r.indicator_id, '')}”",
    )
    return sorted(entries, key=lambda e: e.at, reverse=True)


def department_year_trail(department_year: DepartmentYear) -> list[Entry]:
    records = department_year.history.select_related("history_user")
    indicators = SectionIndicator.history.filter(
        section__department=department_year.department, year=department_year.year
    ).select_related("history_user")
    entries = _entries(records, DepartmentYear, lambda r: "部门整体绩效目标")
    entries += _entries(indicators, SectionIndicator, lambda r: f"科室绩效指标“{r.name}”")
    return sorted(entries, key=lambda e: e.at, reverse=True)


TRAIL_COLUMNS = [
    Column("时间", 20),
    Column("用户"),
    Column("对象", 28),
    Column("操作", 8),
    Column("说明", 24),
    Column("字段", 16),
    Column("原值", 36),
    Column("新值", 36),
]


def trail_workbook(title: str, entries: list[Entry]) -> bytes:
    """The history as a list: one row per changed field (one for a change without fields)."""
    rows = [
        [
            entry.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            entry.user,
            entry.what,
            entry.action,
            entry.reason,
            *change,
        ]
        for entry in entries
        for change in entry.changes or [("", "", "")]
    ]
    return list_workbook([ListSheet("修改记录", TRAIL_COLUMNS, rows, heading=f"{title} 修改记录")])
