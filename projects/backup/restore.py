"""Reading and restoring a backup: the file unpacked within its limit, its shape and its users
checked, and every row written in one transaction into a database that holds none of them."""

import gzip
import json
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.conf import settings
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from perfbudget.views import fault_of
from projects.backup.contents import (
    BATCH,
    FORMAT,
    RESTORABLE,
    UNUSABLE_PASSWORD,
    VERSION,
    BackupError,
    Scope,
    _migrations,
    _model,
)
from projects.backup.write import row_counts


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
    return row_counts(document)


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
