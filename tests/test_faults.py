"""Faults: the database connection dies in the middle of a save, the disk is full when an upload
arrives, an import is interrupted half-way. Each time nothing half-written remains and the user
gets a clear message in Chinese.

On PostgreSQL the connection is really killed (pg_terminate_backend from a second connection) and
the import is really killed (SIGKILL of the importing process while it waits on a row lock);
SQLite has no server to kill, so there the driver's error is raised at the same point.
"""

import gc
import io
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import psycopg
import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from indicators.models import Indicator
from projects.documents.data_workbook import data_workbook
from projects.importer import apply, import_apply, import_prepare
from projects.models import Project
from tests.test_editor import _post_data, _rows
from tests.test_import import _department_year, _snapshot

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.slow,  # real servers and connections
]
CODE = "13081123P000182100018"
WRITES = ("INSERT", "UPDATE", "DELETE")


def _server() -> dict:
    db = connection.settings_dict
    return dict(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"])


@contextmanager
def _connection_lost_after(writes: int):
    """The database connection dies after `writes` write statements of the request."""
    seen = {"writes": 0, "killed": False}

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(WRITES):
            seen["writes"] += 1
            if seen["writes"] > writes and not seen["killed"]:
                seen["killed"] = True
                if connection.vendor == "postgresql":
                    pid = context["connection"].connection.info.backend_pid
                    with psycopg.connect(**_server(), autocommit=True) as other:
                        other.execute("SELECT pg_terminate_backend(%s)", [pid])
                else:
                    raise OperationalError("disk I/O error")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


def _state():
    project = Project.objects.get(code=CODE)
    return (
        project.version,
        project.name,
        list(project.indicators.order_by("pk").values_list("pk", "name", "value_text")),
        Project.history.count(),
        Indicator.history.count(),
    )


def test_a_connection_killed_in_the_middle_of_a_save_leaves_nothing_half_written(finance):
    before = _state()
    project = Project.objects.get(code=CODE)
    rows = _rows(project)
    for row in rows:
        row["name"] = row["name"] + "（改）"
    data = _post_data(project, rows, name="改过的名称")
    client = Client(raise_request_exception=False)
    client.force_login(finance)
    with _connection_lost_after(writes=2) as seen:
        response = client.post(reverse("projects:edit", args=[2024, CODE]), data)
    assert seen["killed"]
    assert response.status_code == 503
    text = response.content.decode()
    assert "数据库暂时无法连接" in text and "本次操作没有保存" in text
    connection.close()
    assert _state() == before
    # The next request works on a new connection, and the same save now goes through.
    response = client.post(reverse("projects:edit", args=[2024, CODE]), data)
    assert response.status_code == 302
    assert Project.objects.get(code=CODE).name == "改过的名称"


@pytest.fixture
def full_disk(tmp_path):
    """A small file system, filled up (a tmpfs mount; the tests run as root)."""
    mount = tmp_path / "full"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {result.stderr.decode().strip()}")
    try:
        filler = os.open(mount / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(filler, b"\0" * 4096)
        except OSError as error:
            assert error.errno == 28  # ENOSPC: the disk is full
        finally:
            os.close(filler)
        yield mount
    finally:
        gc.collect()  # spooled uploads still open are closed before the mount goes
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _changed_workbook(last_value: str | None = None) -> bytes:
    """The unit's data workbook with every project's name changed (and, if given, the value of
    the last 指标 row)."""
    workbook = load_workbook(io.BytesIO(data_workbook(_department_year())))
    sheet = workbook["项目"]
    column = [c.value for c in sheet[1]].index("项目名称") + 1
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row=row, column=column)
        if cell.value:
            cell.value = f"{cell.value}（新）"
    if last_value is not None:
        indicators = workbook["指标"]
        indicators.cell(row=indicators.max_row, column=7).value = last_value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_upload_onto_a_full_disk_gets_a_message_and_imports_nothing(
    reference, finance, settings, full_disk
):
    data = _changed_workbook()
    before = _snapshot()
    settings.FILE_UPLOAD_TEMP_DIR = str(full_disk)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload is spooled to disk
    client = Client(raise_request_exception=False)
    client.force_login(finance)
    upload = io.BytesIO(data)
    upload.name = "data.xlsx"
    response = client.post(reverse("projects:import"), {"file": upload, "year": 2024})
    assert response.status_code == 507
    text = response.content.decode()
    assert "服务器磁盘空间不足" in text and "本次操作没有保存" in text
    assert _snapshot() == before


def test_a_preview_that_cannot_be_kept_on_a_full_disk_gets_a_message(
    reference, finance, settings, full_disk
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(full_disk / "cache"),
        }
    }
    caches._settings = None  # pick up the file cache on the full disk
    before = _snapshot()
    client = Client(raise_request_exception=False)
    client.force_login(finance)
    upload = io.BytesIO(_changed_workbook())
    upload.name = "data.xlsx"
    response = client.post(reverse("projects:import"), {"file": upload, "year": 2024})
    assert response.status_code == 507
    assert "服务器磁盘空间不足" in response.content.decode()
    assert _snapshot() == before
    # A download on the full disk is still served, only not cached.
    response = client.get(reverse("projects:table_xlsx", args=[2024, CODE]))
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


def test_an_import_interrupted_half_way_leaves_nothing_half_written(reference, monkeypatch):
    plan = import_prepare(_changed_workbook())
    before = _snapshot()
    calls = {"n": 0}
    original = apply.schedule_replace

    def interrupted(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # as when the operator presses Ctrl-C
        return original(**kwargs)

    monkeypatch.setattr(apply, "schedule_replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_apply(plan)
    assert calls["n"] == 3
    assert _snapshot() == before


def test_an_importing_process_killed_half_way_leaves_nothing_half_written(reference, tmp_path):
    """PostgreSQL: the import runs as its own process; a second connection holds a lock on the
    last indicator row the import changes (the import locks the projects themselves first), so
    the import stops there with the earlier projects already written in its transaction; the
    process is then killed with SIGKILL."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a database server whose client can be killed")
    path = tmp_path / "changed.xlsx"
    path.write_bytes(_changed_workbook(last_value="≥99%"))
    before = _snapshot()
    last = Indicator.objects.get(pk=_last_indicator_key())  # the workbook's last 指标 row
    name = f"import-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PGAPPNAME": name}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env["DATABASE_URL"] = "postgres://{user}@{host}:{port}/{dbname}".format(**_server())
    watcher = psycopg.connect(**_server(), autocommit=True)
    with watcher, psycopg.connect(**_server()) as locker:
        locker.execute("SELECT id FROM indicators_indicator WHERE id = %s FOR UPDATE", [last.pk])
        process = subprocess.Popen(
            [sys.executable, "manage.py", "import_targets", str(path)],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            waiting = _wait_for_lock_wait(watcher, name, process)
            assert waiting, "the import never reached the locked row"
            written = _rows_written_by(watcher, name)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        locker.rollback()
    assert written > 0, "the import had written nothing before it was killed"
    connection.close()
    assert _snapshot() == before


def _last_indicator_key() -> int:
    indicators = load_workbook(io.BytesIO(data_workbook(_department_year())))["指标"]
    return indicators.cell(row=indicators.max_row, column=9).value


def _wait_for_lock_wait(watcher, name, process) -> bool:
    for _ in range(600):
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode())
        row = watcher.execute(
            "SELECT wait_event_type FROM pg_stat_activity WHERE application_name = %s", [name]
        ).fetchone()
        if row and row[0] == "Lock":
            return True
        time.sleep(0.1)
    return False


def _rows_written_by(watcher, name) -> int:
    """How many tables the waiting transaction has written to (PostgreSQL gives a transaction
    an id, and RowExclusiveLock on a table, only once it writes)."""
    row = watcher.execute(
        """SELECT count(*) FILTER (WHERE l.mode = 'RowExclusiveLock'),
                  bool_and(a.backend_xid IS NOT NULL)
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE a.application_name = %s AND l.locktype = 'relation'""",
        [name],
    ).fetchone()
    return row[0] if row[1] else 0
