"""Backup and restore: a unit-year or everything goes to one file and comes back identically,
history included, into an empty database of the same backend (SQLite, or PostgreSQL in CI);
refusals change nothing."""

import gzip
import json
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from departments.models import Department, Membership
from projects.models import BudgetYear, Project
from projects.services import project_copy_to_year, unit_year_load
from tests.sound import make_sound

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
CODE = "13081123P000182100018"


@contextmanager
def _empty_database(tmp_path):
    """A database URL of a new, empty database on the same server as the tests'."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    db = connection.settings_dict
    name = f"perfbudget_restore_{uuid.uuid4().hex[:10]}"
    server = dict(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres")
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{db['USER']}@{db['HOST']}:{server['port']}/{name}"
    finally:
        with psycopg.connect(**server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _manage(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _document(path) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as source:
        return json.load(source)


@pytest.fixture
def worked_on(client, reference, finance, chief):
    """The reference unit after a year's work: a project submitted and approved through the
    pages (history with users and review fields), and a project copied into the next year."""
    make_sound(CODE)
    client.force_login(finance)
    client.post(reverse("projects:submit", args=[2024, CODE]))
    client.force_login(chief)
    client.post(reverse("projects:review", args=[2024, CODE]), {"grade": "优", "comment": "好"})
    assert Project.objects.get(code=CODE).status == "approved"
    budget_2024 = BudgetYear.objects.get(year=2024)
    BudgetYear.objects.create(
        year=2025, framework=budget_2024.framework, milestone_months=budget_2024.milestone_months
    )
    project_copy_to_year(project=Project.objects.get(code=CODE), year=2025)
    return reference


@pytest.mark.parametrize(
    "scope", [["--department", "136001", "--year", "2024"], ["--all"]], ids=["unit-year", "all"]
)
@pytest.mark.slow
def test_backup_restores_identically_into_an_empty_database(worked_on, tmp_path, scope):
    # A time whose milliseconds are 000 but whose microseconds are not: a file that kept only
    # milliseconds would restore it as a different time.
    first = Project.history.filter(code=CODE).earliest("history_date")
    exact = first.history_date.replace(microsecond=123)
    Project.history.filter(pk=first.pk).update(history_date=exact)
    original = tmp_path / "backup.json.gz"
    call_command("backup", *scope, "-o", str(original))
    document = _document(original)
    models = {row["model"] for row in document["objects"]}
    assert {"projects.historicalproject", "indicators.historicalindicator", "auth.user"} <= models
    approved = [
        row
        for row in document["objects"]
        if row["model"] == "projects.historicalproject" and row["fields"]["status"] == "approved"
    ]
    assert approved and approved[0]["fields"]["history_user"] is not None
    kept = next(
        r
        for r in document["objects"]
        if r["model"] == "projects.historicalproject" and r["pk"] == first.pk
    )
    assert kept["fields"]["history_date"] == exact.isoformat().replace("+00:00", "Z")

    with _empty_database(tmp_path) as url:
        assert _manage(url, "migrate", "--noinput").returncode == 0
        restored = _manage(url, "restore", str(original))
        assert restored.returncode == 0, restored.stderr
        assert "已恢复" in restored.stdout
        again = tmp_path / "again.json.gz"
        result = _manage(url, "backup", *scope, "-o", str(again))
        assert result.returncode == 0, result.stderr
        # A second restore into the now full database is refused.
        refused = _manage(url, "restore", str(original))
        assert refused.returncode != 0
        assert "目标数据库不是空的" in refused.stderr
    copy = _document(again)
    assert copy["objects"] == document["objects"]
    assert copy["migrations"] == document["migrations"]


def test_unit_year_backup_leaves_out_the_link_to_another_year(worked_on, tmp_path):
    path = tmp_path / "b.json.gz"
    call_command("backup", "--department", "136001", "--year", "2025", "-o", str(path))
    projects = [r for r in _document(path)["objects"] if r["model"] == "projects.project"]
    assert [p["fields"]["year"] for p in projects] == [2025]
    assert projects[0]["fields"]["source"] is None


def test_restore_into_a_database_with_data_is_refused_and_changes_nothing(worked_on, tmp_path):
    path = tmp_path / "b.json.gz"
    call_command("backup", "--all", "-o", str(path))
    before = Project.objects.count(), Project.history.count()
    with pytest.raises(CommandError, match="目标数据库不是空的"):
        call_command("restore", str(path))
    assert (Project.objects.count(), Project.history.count()) == before


def test_a_damaged_or_foreign_file_is_refused_with_a_message(db, tmp_path):
    truncated = tmp_path / "truncated.json.gz"
    truncated.write_bytes(gzip.compress(b'{"format": "perfbudget-backup", "objects": [')[:30])
    with pytest.raises(CommandError, match="不是完整的 perfbudget 备份文件"):
        call_command("restore", str(truncated))
    foreign = tmp_path / "foreign.json.gz"
    foreign.write_bytes(gzip.compress(json.dumps({"hello": 1}).encode()))
    with pytest.raises(CommandError, match="不是 perfbudget 备份文件"):
        call_command("restore", str(foreign))
    with pytest.raises(CommandError, match="找不到备份文件"):
        call_command("restore", str(tmp_path / "missing.json.gz"))


def test_a_backup_of_another_schema_version_is_refused(empty_db, tmp_path, reference_data):
    path = tmp_path / "b.json.gz"
    unit_year_load(data=reference_data)
    call_command("backup", "--all", "-o", str(path))
    document = _document(path)
    document["migrations"]["projects"] = "0999_future"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        json.dump(document, out)
    Project.objects.all().delete()
    Department.objects.all().delete()
    with pytest.raises(CommandError, match="结构版本不同"):
        call_command("restore", str(path))


def test_backup_names_an_unknown_unit_year(db, tmp_path):
    with pytest.raises(CommandError, match="没有单位 000000 的 2024 年数据"):
        call_command(
            "backup", "--department", "000000", "--year", "2024", "-o", str(tmp_path / "x")
        )
    with pytest.raises(CommandError, match="二者选一"):
        call_command("backup", "-o", str(tmp_path / "x"))


def test_a_unit_year_file_holds_users_its_history_names(worked_on, chief, tmp_path):
    """The chief who reviewed the project has left the unit: the review and the history still
    name them, so the file carries the user."""
    Membership.objects.filter(user=chief).delete()
    path = tmp_path / "b.json.gz"
    call_command("backup", "--department", "136001", "--year", "2024", "-o", str(path))
    users = {
        r["fields"]["username"] for r in _document(path)["objects"] if r["model"] == "auth.user"
    }
    assert "chief1" in users


def test_a_unit_year_file_holds_the_submitter_who_left(reference, tmp_path):
    """A submitter who has left the unit, and whom no history row names, is still carried:
    the project names them as 提交人."""
    from conftest import make_user

    leaver = make_user("leaver1")
    Project.objects.filter(code=CODE).update(submitted_by=leaver)
    path = tmp_path / "b.json.gz"
    call_command("backup", "--department", "136001", "--year", "2024", "-o", str(path))
    users = {
        r["fields"]["username"] for r in _document(path)["objects"] if r["model"] == "auth.user"
    }
    assert "leaver1" in users


def _unit_year_file(tmp_path) -> tuple:
    path = tmp_path / "unit.json.gz"
    call_command("backup", "--department", "136001", "--year", "2024", "-o", str(path))
    return path, _document(path)


def _write(path, document) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as out:
        json.dump(document, out)


def _emptied() -> None:
    """The test database as `migrate` leaves it, so restore gets past its emptiness check."""
    from django.contrib.auth import get_user_model

    Project.objects.all().delete()
    Department.objects.all().delete()
    get_user_model().objects.all().delete()


def test_a_unit_year_file_carries_no_administrator_flag_and_only_members_passwords(
    worked_on, chief, unit_admin, tmp_path
):
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=unit_admin.pk).update(is_superuser=True, is_staff=True)
    Membership.objects.filter(user=chief).delete()  # named by the history, no longer a member
    _, document = _unit_year_file(tmp_path)
    users = {
        r["fields"]["username"]: r["fields"]
        for r in document["objects"]
        if r["model"] == "auth.user"
    }
    assert users["admin1"]["is_superuser"] is False and users["admin1"]["is_staff"] is False
    assert users["admin1"]["password"].startswith("md5$")
    assert users["chief1"]["password"] == "!"
    assert not any(r["model"] == "auth.group" for r in document["objects"])


def _superuser(document):
    user = next(r for r in document["objects"] if r["model"] == "auth.user")
    user["fields"]["is_superuser"] = True


def _session(document):
    document["objects"].append(
        {
            "model": "sessions.session",
            "pk": "k" * 32,
            "fields": {"session_data": "x", "expire_date": "2099-01-01T00:00:00Z"},
        }
    )


def _outsider_password(document):
    members = {
        r["fields"]["user"] for r in document["objects"] if r["model"] == "departments.membership"
    }
    user = next(
        r for r in document["objects"] if r["model"] == "auth.user" and r["pk"] not in members
    )
    user["fields"]["password"] = "md5$salt$0123456789abcdef0123456789abcdef"


def _group(document):
    user = next(r for r in document["objects"] if r["model"] == "auth.user")
    user["fields"]["groups"] = [["admins"]]


def _admin_log(document):
    document["objects"].append(
        {"model": "admin.logentry", "pk": 1, "fields": {"action_flag": 1, "change_message": ""}}
    )


@pytest.mark.parametrize(
    "tamper, says",
    [
        (_superuser, "带有系统管理员或后台权限标记"),
        (_outsider_password, "本单位以外用户"),
        (_group, "带有权限或用户组"),
        (_session, "不能恢复的数据类型“sessions.session”"),
        (_admin_log, "不能恢复的数据类型“admin.logentry”"),
    ],
    ids=["superuser", "outsider-password", "group", "session", "admin-log"],
)
def test_a_tampered_unit_year_file_is_refused_and_writes_nothing(
    worked_on, chief, tmp_path, tamper, says
):
    Membership.objects.filter(user=chief).delete()
    path, document = _unit_year_file(tmp_path)
    tamper(document)
    _write(path, document)
    _emptied()
    with pytest.raises(CommandError, match=says):
        call_command("restore", str(path))
    assert not Project.objects.exists() and not Department.objects.exists()


def _bad_field(document):
    project = next(r for r in document["objects"] if r["model"] == "projects.project")
    project["fields"]["no_such_field"] = 1


def _bad_value(document):
    project = next(r for r in document["objects"] if r["model"] == "projects.project")
    project["fields"]["budget_total"] = "很多"


def _bad_reference(document):
    project = next(r for r in document["objects"] if r["model"] == "projects.project")
    project["fields"]["department"] = 999999


def _wrong_shape(document):
    document["objects"] = {"rows": 1}


def _row_without_fields(document):
    document["objects"][0].pop("fields")


@pytest.mark.parametrize(
    "damage, says",
    [
        (_bad_field, "字段或取值无法读取"),
        (_bad_value, "字段或取值无法读取"),
        (_bad_reference, "引用的记录不存在"),
        (_wrong_shape, "没有数据行"),
        (_row_without_fields, "第 1 行格式不对"),
    ],
    ids=["unknown-field", "bad-value", "bad-reference", "wrong-shape", "row-shape"],
)
def test_a_malformed_file_gets_a_message_and_writes_nothing(worked_on, tmp_path, damage, says):
    path = tmp_path / "all.json.gz"
    call_command("backup", "--all", "-o", str(path))
    document = _document(path)
    damage(document)
    _write(path, document)
    _emptied()
    with pytest.raises(CommandError, match=says):
        call_command("restore", str(path))
    assert not Project.objects.exists() and not Department.objects.exists()


def test_a_file_that_unpacks_beyond_the_limit_is_refused_while_unpacking(db, tmp_path, settings):
    settings.RESTORE_MAX_BYTES = 1024 * 1024
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b" " * (20 * 1024 * 1024)))
    with pytest.raises(CommandError, match="解压后超过 1 MB"):
        call_command("restore", str(bomb))


@pytest.mark.parametrize(
    "content",
    [b"not gzip at all", gzip.compress(b"{not json"), gzip.compress(b"[1, 2]")],
    ids=["bad-gzip", "bad-json", "not-an-object"],
)
def test_the_restore_command_answers_a_malformed_file_with_exit_1_and_no_traceback(
    db, tmp_path, content
):
    path = tmp_path / "bad.json.gz"
    path.write_bytes(content)
    # The file is refused before the database is opened.
    result = _manage(f"sqlite:///{tmp_path / 'empty.sqlite3'}", "restore", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "备份文件" in result.stderr
