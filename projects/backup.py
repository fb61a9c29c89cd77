"""Backup and restore: a unit-year, or everything, in one file, history included.

The file is gzip-compressed JSON: a header (format, scope, the schema's migrations, when) and
the rows of every model in the order they can be inserted, each with its primary key, so a
restore into an empty database gives the same rows, the same history and the same links.
"""

import gzip
import json
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model, QuerySet
from django.utils import timezone

from perfbudget.views import fault_of

FORMAT = "perfbudget-backup"
VERSION = 1
APPS = ("departments", "indicators", "projects")

# Insertion order: everything a row refers to comes before it.
LIVE_MODELS = (
    "auth.User",
    "indicators.FrameworkVersion",
    "indicators.PrimaryCategory",
    "indicators.SecondaryCategory",
    "indicators.LibraryIndicator",
    "indicators.ReviewProfile",
    "indicators.ReviewProfileRule",
    "projects.BudgetYear",
    "departments.Department",
    "departments.Section",
    "departments.Membership",
    "departments.DepartmentYear",
    "departments.SectionIndicator",
    "departments.SectionRating",
    "projects.Project",
    "projects.ScheduleEntry",
    "indicators.Indicator",
    "indicators.SelfEvaluation",
    "indicators.IndicatorResult",
)
HISTORY_MODELS = (
    "departments.HistoricalDepartment",
    "departments.HistoricalSection",
    "departments.HistoricalMembership",
    "departments.HistoricalMembership_sections",
    "departments.HistoricalDepartmentYear",
    "departments.HistoricalSectionIndicator",
    "departments.HistoricalSectionRating",
    "projects.HistoricalProject",
    "projects.HistoricalScheduleEntry",
    "indicators.HistoricalIndicator",
    "indicators.HistoricalSelfEvaluation",
    "indicators.HistoricalIndicatorResult",
    "indicators.HistoricalReviewProfile",
    "indicators.HistoricalReviewProfileRule",
)
# Users refer to permissions by name: their ids differ between databases.
NATURAL_KEYS = {"auth.User"}
# What a file may hold, and so all a restore ever writes: the app's own models and their history,
# and users. Never sessions, admin log rows, permissions or groups (the app uses none of them;
# a file that carries one has been made by hand).
RESTORABLE = {label.lower() for label in LIVE_MODELS + HISTORY_MODELS}
# A unit-year file's users: no user may come out of it as an administrator of the whole system,
# and only the unit's own members keep their password.
UNUSABLE_PASSWORD = "!"
BATCH = 1000
# The fields by which rows (and their history) name a user.
USER_FIELDS = {"user", "reviewed_by", "submitted_by", "history_user"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the user."""


@dataclass
class Scope:
    department: str = ""
    year: int | None = None

    @property
    def everything(self) -> bool:
        return not self.department

    def describe(self) -> str:
        return "全部数据" if self.everything else f"单位 {self.department} {self.year} 年"


def _model(label: str) -> type[Model]:
    return apps.get_model(label)


def _migrations() -> dict[str, str]:
    applied = MigrationRecorder(connection).applied_migrations()
    latest: dict[str, str] = {}
    for app, name in sorted(applied):
        if app in APPS or app == "auth":
            latest[app] = max(latest.get(app, ""), name)
    return latest


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
    return _counts(document)


def _counts(document: dict) -> dict[str, int]:
    return Counter(row["model"] for row in document["objects"])


def _unpack(path) -> bytes:
    """The file's JSON, decompressed as a stream and refused past RESTORE_MAX_BYTES: a small
    gzip can unpack to gigabytes."""
    limit = settings.RESTORE_MAX_BYTES
    data = bytearray()
    try:
        with gzip.open(path, "rb") as source:
            while chunk := source.read(1024 * 1024):
                data += chunk
                if len(data) > limit:
                    raise BackupError(
                        f"{path} 解压后超过 {limit // 2**20} MB（RESTORE_MAX_BYTES），"
                        "疑似异常文件，没有写入任何内容。"
                    )
    except FileNotFoundError:
        raise BackupError(f"找不到备份文件 {path}") from None
    except (OSError, EOFError, zlib.error):
        raise BackupError(f"{path} 不是完整的 perfbudget 备份文件（无法解压或读取）") from None
    return bytes(data)


def backup_read(path) -> dict:
    data = _unpack(path)
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise BackupError(f"{path} 不是完整的 perfbudget 备份文件（无法解压或读取）") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{path} 不是 perfbudget 备份文件")
    if document.get("version") != VERSION:
        raise BackupError(f"备份文件格式版本 {document.get('version')} 不受支持（应为 {VERSION}）")
    _check_shape(document)
    return document


def _malformed(what: str) -> BackupError:
    return BackupError(f"备份文件内容损坏：{what}，没有写入任何内容。")


def _check_shape(document: dict) -> None:
    """Every part of the file where restore expects it, and only rows of the models a backup
    writes."""
    scope, migrations = document.get("scope"), document.get("migrations")
    if not (
        isinstance(scope, dict)
        and isinstance(scope.get("department"), str)
        and (scope.get("year") is None or type(scope.get("year")) is int)
    ):
        raise _malformed("范围（scope）格式不对")
    if not (
        isinstance(migrations, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in migrations.items())
    ):
        raise _malformed("结构版本（migrations）格式不对")
    try:
        datetime.fromisoformat(document.get("created"))
    except (TypeError, ValueError):
        raise _malformed("备份时间（created）格式不对") from None
    objects = document.get("objects")
    if not isinstance(objects, list):
        raise _malformed("没有数据行（objects）")
    for number, row in enumerate(objects, 1):
        if not (
            isinstance(row, dict)
            and isinstance(row.get("model"), str)
            and isinstance(row.get("fields"), dict)
            and set(row) == {"model", "pk", "fields"}
        ):
            raise _malformed(f"第 {number} 行格式不对")
        if row["model"] not in RESTORABLE:
            raise _malformed(f"第 {number} 行属于不能恢复的数据类型“{row['model'][:60]}”")
    if scope["department"]:
        _check_unit_users(objects)


def _check_unit_users(objects: list[dict]) -> None:
    """A unit-year file as backup writes it: users without administrator flags, and passwords
    only for the unit's members. Anything else has been changed by hand."""
    members = {
        row["fields"].get("user") for row in objects if row["model"] == "departments.membership"
    }
    for row in objects:
        if row["model"] != "auth.user":
            continue
        fields = row["fields"]
        name = str(fields.get("username", row["pk"]))[:60]
        if fields.get("is_superuser") is not False or fields.get("is_staff") is not False:
            raise BackupError(
                f"单位年度备份文件中的用户 {name} 带有系统管理员或后台权限标记；这样的文件"
                "不是 backup 命令生成的（可能被改动过），没有写入任何内容。"
            )
        if row["pk"] not in members and fields.get("password") != UNUSABLE_PASSWORD:
            raise BackupError(
                f"单位年度备份文件中带有本单位以外用户 {name} 的密码；这样的文件不是 backup "
                "命令生成的（可能被改动过），没有写入任何内容。"
            )
        if fields.get("groups") or fields.get("user_permissions"):
            raise BackupError(
                f"备份文件中的用户 {name} 带有权限或用户组；这样的文件不是 backup 命令生成的"
                "（可能被改动过），没有写入任何内容。"
            )


def _occupied() -> list[str]:
    found = []
    for label, name in (
        ("auth.User", "用户"),
        ("departments.Department", "单位"),
        ("projects.Project", "项目"),
    ):
        count = _model(label).objects.count()
        if count:
            found.append(f"{count} 个{name}")
    return found


def restore(document: dict) -> dict[str, int]:
    """Restore a backup (as backup_read gives it) into an empty database, all or nothing."""
    occupied = _occupied()
    if occupied:
        raise BackupError(
            f"目标数据库不是空的（已有{'、'.join(occupied)}）；"
            "恢复只能写入刚执行过 migrate 的空数据库，没有写入任何内容。"
        )
    expected, actual = document["migrations"], _migrations()
    if expected != actual:
        different = sorted(
            a for a in set(expected) | set(actual) if expected.get(a) != actual.get(a)
        )
        raise BackupError(
            "备份文件与本数据库的结构版本不同（"
            + "，".join(f"{a}: 文件 {expected.get(a)} / 数据库 {actual.get(a)}" for a in different)
            + "）；请先把程序更新到与备份相同的版本并执行 migrate，没有写入任何内容。"
        )
    models = _deserialized(document["objects"])
    try:
        _write(models)
    except (DatabaseError, ValidationError, ValueError, TypeError) as error:
        if fault_of(error) == "database":
            raise  # the database itself failed, not the file
        raise _malformed(
            "有数据行的值不合规则（如编号重复、引用的记录不存在或数值超出范围）"
        ) from None
    return _counts(document)


def _deserialized(rows: list[dict]) -> dict[type[Model], list]:
    """The file's rows as unsaved objects by model; a row whose values its fields cannot take
    is named by its place in the file."""
    models: dict[type[Model], list] = {}
    items = serializers.deserialize("python", rows)
    for number, row in enumerate(rows, 1):
        try:
            item = next(items)
        except (
            DeserializationError,
            FieldDoesNotExist,
            ValidationError,
            ValueError,
            TypeError,
            LookupError,
        ):
            raise _malformed(f"第 {number} 行（{row['model']}）的字段或取值无法读取") from None
        models.setdefault(type(item.object), []).append(item)
    return models


# The frameworks, their 审核口径 and the indicator library that migrations put in are replaced
# by the file's rows, so their ids are the file's.
SEEDED = (
    "indicators.ReviewProfileRule",
    "indicators.ReviewProfile",
    "indicators.LibraryIndicator",
    "indicators.SecondaryCategory",
    "indicators.PrimaryCategory",
    "indicators.FrameworkVersion",
    # Last: deleting the rows above records their deletion in these.
    "indicators.HistoricalReviewProfileRule",
    "indicators.HistoricalReviewProfile",
)


def _write(models: dict[type[Model], list]) -> None:
    with transaction.atomic(), connection.constraint_checks_disabled(), _stored_times(models):
        for label in SEEDED:
            _model(label).objects.all().delete()
        for model, items in models.items():
            for start in range(0, len(items), BATCH):
                model.objects.bulk_create([item.object for item in items[start : start + BATCH]])
            _set_many_to_many(model, items)
        connection.check_constraints()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
                cursor.execute(sql)


@contextmanager
def _stored_times(models) -> Iterator[None]:
    """Times kept as the file has them: auto_now fields would stamp the moment of the restore."""
    fields = [
        f
        for model in models
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _set_many_to_many(model: type[Model], items: list) -> None:
    for field in model._meta.many_to_many:
        through = field.remote_field.through
        source, target = field.m2m_column_name(), field.m2m_reverse_name()
        links = [
            through(**{source: item.object.pk, target: target_id})
            for item in items
            for target_id in item.m2m_data.get(field.name, [])
        ]
        through.objects.bulk_create(links, batch_size=BATCH)


def describe(document: dict) -> str:
    scope = Scope(document["scope"]["department"], document["scope"]["year"])
    created = datetime.fromisoformat(document["created"])
    return f"{scope.describe()}，备份于 {timezone.localtime(created):%Y-%m-%d %H:%M}"
