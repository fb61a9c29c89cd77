"""Writing a backup: the rows of a scope (a unit-year with its history and the users it names,
or everything), read in one transaction, gzip-compressed JSON."""

import gzip
import json
from collections import Counter
from datetime import datetime, time

from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from projects.backup.contents import (
    FORMAT,
    HISTORY_MODELS,
    LIVE_MODELS,
    NATURAL_KEYS,
    UNUSABLE_PASSWORD,
    USER_FIELDS,
    VERSION,
    BackupError,
    Scope,
    _migrations,
    _model,
)


def _everything() -> dict[str, QuerySet]:
    return {label: _model(label).objects.all() for label in LIVE_MODELS + HISTORY_MODELS}


def _unit_year(code: str, year: int) -> dict[str, QuerySet]:
    """The rows of one unit-year: its unit (and the units above it), sections, members, part
    one, projects and everything under them, the frameworks they use, their history, and every
    user they name."""
    m = _model
    department = m("departments.Department").objects.filter(code=code).first()
    if department is None or not (
        department.years.filter(year=year).exists()
        or department.projects.filter(year=year).exists()
    ):
        raise BackupError(f"没有单位 {code} 的 {year} 年数据")
    units = []
    unit = department
    while unit is not None:
        units.append(unit.pk)
        unit = unit.parent
    sets: dict[str, QuerySet] = {
        "indicators.FrameworkVersion": m("indicators.FrameworkVersion").objects.all(),
        "indicators.PrimaryCategory": m("indicators.PrimaryCategory").objects.all(),
        "indicators.SecondaryCategory": m("indicators.SecondaryCategory").objects.all(),
        "indicators.LibraryIndicator": m("indicators.LibraryIndicator").objects.all(),
        # The 审核口径 in force decide which findings block: configuration, like the frameworks.
        "indicators.ReviewProfile": m("indicators.ReviewProfile").objects.all(),
        "indicators.ReviewProfileRule": m("indicators.ReviewProfileRule").objects.all(),
        "projects.BudgetYear": m("projects.BudgetYear").objects.filter(year=year),
        "departments.Department": m("departments.Department").objects.filter(pk__in=units),
        "departments.Section": m("departments.Section").objects.filter(department=department),
        "departments.Membership": m("departments.Membership").objects.filter(department=department),
        "departments.DepartmentYear": department.years.filter(year=year),
        "departments.SectionIndicator": m("departments.SectionIndicator").objects.filter(
            section__department=department, year=year
        ),
        "departments.SectionRating": m("departments.SectionRating").objects.filter(
            indicator__section__department=department, indicator__year=year
        ),
        "projects.Project": m("projects.Project").objects.filter(department=department, year=year),
        "projects.ScheduleEntry": m("projects.ScheduleEntry").objects.filter(
            project__department=department, project__year=year
        ),
        "indicators.Indicator": m("indicators.Indicator").objects.filter(
            project__department=department, project__year=year
        ),
        "indicators.SelfEvaluation": m("indicators.SelfEvaluation").objects.filter(
            project__department=department, project__year=year
        ),
        "indicators.IndicatorResult": m("indicators.IndicatorResult").objects.filter(
            indicator__project__department=department, indicator__project__year=year
        ),
    }
    history = _history_of_unit_year(department.pk, units, year)
    sets.update(history)
    user_ids: set[int] = set()
    for queryset in sets.values():
        fields = {f.name for f in queryset.model._meta.fields}
        for name in USER_FIELDS & fields:
            user_ids |= set(queryset.exclude(**{name: None}).values_list(name, flat=True))
    sets["auth.User"] = get_user_model().objects.filter(pk__in=user_ids)
    return sets


def _history_of_unit_year(department: int, units: list[int], year: int) -> dict[str, QuerySet]:
    m = _model
    projects = m("projects.HistoricalProject").objects.filter(department_id=department, year=year)
    project_ids = set(projects.values_list("id", flat=True))
    indicators = m("indicators.HistoricalIndicator").objects.filter(project_id__in=project_ids)
    sections = m("departments.HistoricalSection").objects.filter(department_id=department)
    section_indicators = m("departments.HistoricalSectionIndicator").objects.filter(
        section_id__in=set(sections.values_list("id", flat=True)), year=year
    )
    memberships = m("departments.HistoricalMembership").objects.filter(department_id=department)
    return {
        "departments.HistoricalDepartment": m("departments.HistoricalDepartment").objects.filter(
            id__in=units
        ),
        "departments.HistoricalSection": sections,
        "departments.HistoricalMembership": memberships,
        "departments.HistoricalMembership_sections": m(
            "departments.HistoricalMembership_sections"
        ).objects.filter(history__in=memberships),
        "departments.HistoricalDepartmentYear": m(
            "departments.HistoricalDepartmentYear"
        ).objects.filter(department_id=department, year=year),
        "departments.HistoricalSectionIndicator": section_indicators,
        "departments.HistoricalSectionRating": m(
            "departments.HistoricalSectionRating"
        ).objects.filter(indicator_id__in=set(section_indicators.values_list("id", flat=True))),
        "projects.HistoricalProject": projects,
        "projects.HistoricalScheduleEntry": m("projects.HistoricalScheduleEntry").objects.filter(
            project_id__in=project_ids
        ),
        "indicators.HistoricalIndicator": indicators,
        "indicators.HistoricalSelfEvaluation": m(
            "indicators.HistoricalSelfEvaluation"
        ).objects.filter(project_id__in=project_ids),
        "indicators.HistoricalIndicatorResult": m(
            "indicators.HistoricalIndicatorResult"
        ).objects.filter(indicator_id__in=set(indicators.values_list("id", flat=True))),
        # Who changed a 审核口径 is the system administrators' record, not the unit's.
        "indicators.HistoricalReviewProfile": m(
            "indicators.HistoricalReviewProfile"
        ).objects.none(),
        "indicators.HistoricalReviewProfileRule": m(
            "indicators.HistoricalReviewProfileRule"
        ).objects.none(),
    }


def _rows(label: str, queryset: QuerySet) -> list[dict]:
    natural = label in NATURAL_KEYS
    rows = serializers.serialize(
        "python", queryset.order_by("pk"), use_natural_foreign_keys=natural
    )
    if label == "auth.User":
        for row in rows:
            row["fields"]["user_permissions"] = []
            row["fields"]["groups"] = []
    return rows


def _unit_users(objects: list[dict]) -> None:
    """A unit-year file's users: no superuser or staff flag, and a password only for the unit's
    members (a user its history names who is not a member cannot log in with the file)."""
    members = {row["fields"]["user"] for row in objects if row["model"] == "departments.membership"}
    for row in objects:
        if row["model"] == "auth.user":
            row["fields"]["is_superuser"] = row["fields"]["is_staff"] = False
            if row["pk"] not in members:
                row["fields"]["password"] = UNUSABLE_PASSWORD


def backup_build(scope: Scope) -> dict:
    """Everything the scope holds, read in one transaction so the rows agree with each other."""
    with transaction.atomic():
        sets = _everything() if scope.everything else _unit_year(scope.department, scope.year)
        objects = []
        for label in LIVE_MODELS + HISTORY_MODELS:
            rows = _rows(label, sets[label])
            if label == "projects.Project" and not scope.everything:
                _detach_sources(rows, {row["pk"] for row in rows})
            objects.extend(rows)
        if not scope.everything:
            _unit_users(objects)
        return {
            "format": FORMAT,
            "version": VERSION,
            "scope": {"department": scope.department, "year": scope.year},
            "created": timezone.now().isoformat(),
            "migrations": _migrations(),
            "objects": objects,
        }


def _detach_sources(rows: list[dict], in_file: set[int]) -> None:
    # A copied project names the project it came from; when that one is in another year, which
    # this file does not hold, the link is left out (the history rows still show it).
    for row in rows:
        if row["fields"]["source"] not in in_file:
            row["fields"]["source"] = None


class ExactEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; a backup keeps every microsecond, or a
    restored history row would carry a different time than the one it recorded."""

    def default(self, o):
        if isinstance(o, datetime | time):
            return o.isoformat().replace("+00:00", "Z")
        return super().default(o)


def backup_write(scope: Scope, path) -> dict:
    document = backup_build(scope)
    data = json.dumps(document, cls=ExactEncoder, ensure_ascii=False, sort_keys=True)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(data)
    return row_counts(document)


def row_counts(document: dict) -> dict[str, int]:
    return Counter(row["model"] for row in document["objects"])
