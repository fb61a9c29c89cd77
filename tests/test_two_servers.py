"""The app on two servers behind one address: two gunicorn processes on two loopback ports,
each with a cache directory of its own as two machines would have, on one PostgreSQL and one
Redis, with one job worker. One user's requests go round-robin to both, and nothing is lost:
an import previewed on one is confirmed on the other; failed logins spread over both lock the
name; a booklet job started through one is downloaded through the other; a save on one is
refused as stale on the other."""

import http.cookiejar
import io
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from openpyxl import load_workbook

from projects.importer.contract import PROJECT_SHEET
from projects.models import Project
from projects.services.projects import STALE_EDIT
from tests import servers
from tests.test_editor import _post_data, _rows

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]

CODE = "13081123P000182100018"
PASSWORD = "s3cret-Passw0rd"


@pytest.fixture
def two(tmp_path, reference, finance):
    """Two app servers and a worker; yields a function that gives the base address of the
    next server, round-robin."""
    if connection.vendor != "postgresql":
        pytest.skip("two servers share one database server; the PostgreSQL pass runs this")
    redis = servers.redis_or_fail()
    # The servers run with the production hashers, which do not read the tests' fast one.
    finance.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    finance.save()
    env = servers.environment(tmp_path, JOB_MIN_TABLES="1", LOGIN_FAILURE_LIMIT="4")
    log = open(tmp_path / "servers.log", "w")  # noqa: SIM115 (closed below)
    ports = [servers.free_port(), servers.free_port()]
    processes = [
        servers.app_server(env, port, tmp_path / f"cache-{n}", log) for n, port in enumerate(ports)
    ]
    processes.append(servers.worker(env, log))
    try:
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        servers.stop(*processes)
        log.close()
        redis.flushdb()


class User:
    """One browser: its cookies go to whichever server it is sent to."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, url: str):
        return self.opener.open(url, timeout=60)

    def post(self, url: str, fields: dict, files: dict | None = None):
        fields = {"csrfmiddlewaretoken": self.csrf(), **fields}
        if files:
            body, kind = _multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            kind = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=body, headers={"Content-Type": kind})
        try:
            return self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as answer:
            return answer

    def log_in(self, base: str, name: str, password: str):
        self.get(f"{base}/accounts/login/").read()
        return self.post(f"{base}/accounts/login/", {"username": name, "password": password})


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(f"{value}\r\n".encode())
    for name, (filename, data) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _signed_in(base: str, finance) -> User:
    user = User()
    page = user.log_in(base, finance.username, PASSWORD).read().decode()
    assert "退出" in page
    return user


def _finished(user: User, base: str, page) -> dict:
    """The status of the job whose page `page` is, once it has ended (asked of `base`)."""
    token = re.fullmatch(r".*/jobs/([0-9a-f-]{36})/(?:\?start=1)?", page.geturl()).group(1)
    for _ in range(600):
        status = json.loads(user.get(f"{base}/jobs/{token}/status").read())
        if status["state"] in ("done", "failed"):
            return {**status, "token": token}
        time.sleep(0.2)
    pytest.fail(f"job {token} did not end: {status}")


def test_an_import_previewed_on_one_server_is_confirmed_on_the_other(two, finance):
    """As a large unit's: the data workbook is made by a job (asked on one server, fetched
    through the other) and the confirmation is a job whose outcome either server shows."""
    a, b = two
    user = _signed_in(a, finance)
    made = _finished(user, b, user.get(f"{a}/departments/136001/2024/data.xlsx"))
    assert made["state"] == "done", made
    data = user.get(f"{b}{made['file']}").read()
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook[PROJECT_SHEET]
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("项目编码")].value == CODE)
    row[header.index("项目名称")].value = "两台服务器导入的名称"
    changed = io.BytesIO()
    workbook.save(changed)
    preview = (
        user.post(
            f"{b}/projects/import/", {"year": "2024"}, {"file": ("data.xlsx", changed.getvalue())}
        )
        .read()
        .decode()
    )
    token = re.search(r'name="token" value="([^"]+)"', preview).group(1)
    confirmed = _finished(user, b, user.post(f"{a}/projects/import/", {"token": token}))
    assert confirmed["state"] == "done", confirmed
    page = user.get(f"{b}/jobs/{confirmed['token']}/").read().decode()
    assert "导入完成" in page
    assert Project.objects.get(code=CODE).name == "两台服务器导入的名称"


def test_failed_logins_spread_over_both_servers_lock_the_name(two, finance):
    a, b = two
    user = User()
    for n in range(4):
        answer = user.log_in((a, b)[n % 2], finance.username, "wrong-password")
        assert answer.status in (200, 429)
    locked = user.log_in(a, finance.username, PASSWORD)
    assert locked.status == 429 and "登录失败次数过多" in locked.read().decode()
    assert user.log_in(b, finance.username, PASSWORD).status == 429


def test_a_booklet_job_started_on_one_server_is_downloaded_through_the_other(two, finance):
    a, b = two
    user = _signed_in(a, finance)
    status = _finished(user, b, user.get(f"{a}/departments/136001/2024/booklet.pdf"))
    assert status["state"] == "done", status
    assert user.get(f"{b}{status['file']}").read().startswith(b"%PDF")
    # Asked again on either server: the finished file, no second job.
    again = user.get(f"{a}/departments/136001/2024/booklet.pdf")
    assert again.headers["Content-Type"] == "application/pdf"


def test_a_save_on_one_server_is_refused_as_stale_on_the_other(two, finance):
    a, b = two
    user = _signed_in(a, finance)
    project = Project.objects.get(code=CODE)
    edit = f"/projects/2024/{CODE}/edit/"
    opened = user.get(a + edit).read().decode()
    version = re.search(r'name="version" value="(\d+)"', opened).group(1)
    first = _post_data(project, _rows(project), version=version, name="甲服务器保存")
    assert user.post(b + edit, first).geturl().endswith(f"/projects/2024/{CODE}/")
    second = _post_data(project, _rows(project), version=version, name="乙服务器保存")
    refused = user.post(a + edit, second).read().decode()
    assert STALE_EDIT.split("{")[0] in refused
    assert Project.objects.get(code=CODE).name == "甲服务器保存"
