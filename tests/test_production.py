"""Production settings: check --deploy, security headers, CSP-clean pages, health, logging,
the error pages, and the app served by gunicorn."""

import http.cookiejar
import json
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from indicators.models import SelfEvaluation
from projects.models import Project
from tests.test_permissions import EXPECTED

pytestmark = pytest.mark.django_db
CODE = "13081123P000182100018"

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "perfbudget.example.cn",
}


def _environment(**overrides) -> dict:
    """The test process's environment as a production start would see it: the browser tests
    switch Django's async-safety check off in this process, a server must not inherit that."""
    env = {**os.environ, **PRODUCTION_ENV, **overrides}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def _manage(*args, env=None, **kwargs):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=_environment(**(env or {})),
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_when_hsts_is_switched_off():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env={"SECURE_HSTS_SECONDS": "0"}
    )
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", env={"SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.fixture
def production(settings):
    """The security settings as a production start reads them (DEBUG off)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    return settings


def test_production_headers_on_a_page(production, finance, reference):
    client = Client()
    client.force_login(finance)
    response = client.get("/projects/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_plain_http_is_redirected_but_health_is_not(production, finance):
    client = Client()
    assert client.get("/accounts/login/").status_code == 301
    assert client.get("/healthz").status_code == 200


def test_session_and_csrf_cookies_are_secure(production, finance):
    client = Client()
    login = client.get("/accounts/login/", secure=True)
    assert login.cookies["csrftoken"]["secure"]
    token = login.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": "finance1", "password": "s3cret-Passw0rd", "csrfmiddlewaretoken": token},
        secure=True,
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"]
    assert response.cookies["sessionid"]["httponly"]


class _InlineCode(HTMLParser):
    """Collects what a strict CSP would refuse: inline scripts, style attributes and elements,
    event-handler attributes, javascript: links."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            self.found.append(f"inline <script> at {self.getpos()}")
        if tag == "style":
            self.found.append(f"<style> at {self.getpos()}")
        for name, value in attrs.items():
            if name == "style" or name.startswith("on"):
                self.found.append(f"{tag} {name}={value!r} at {self.getpos()}")
            if name in ("href", "src", "action") and (value or "").startswith("javascript:"):
                self.found.append(f"{tag} {name}={value!r}")


_PAGES = sorted(
    name
    for name, (method, _args, _data, expected) in EXPECTED.items()
    if method == "get" and expected["unit_admin"] == 200
)


@pytest.mark.parametrize("name", _PAGES)
def test_pages_hold_nothing_the_csp_refuses(client, request, unit_admin, reference, name):
    client.force_login(unit_admin)
    _method, args, data, _expected = EXPECTED[name]
    args = args(request) if callable(args) else args
    response = client.get(reverse(name, args=args), data)
    assert response.status_code == 200
    if not response["Content-Type"].startswith("text/html"):
        return
    assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    parser = _InlineCode()
    parser.feed(response.content.decode())
    assert parser.found == []


def test_health_answers_anonymous_callers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def _refuse(execute, sql, params, many, context):
    raise OperationalError("server closed the connection unexpectedly")


def test_health_says_503_when_the_database_does_not_answer(client):
    with connection.execute_wrapper(_refuse):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_every_write_is_logged_with_its_user(client, finance, reference, caplog, monkeypatch):
    monkeypatch.setattr(logging.getLogger("perfbudget"), "propagate", True)
    client.force_login(finance)
    with caplog.at_level("INFO", logger="perfbudget.writes"):
        client.post(reverse("projects:submit", args=[2024, CODE]))
        client.get("/projects/")
    lines = [r.getMessage() for r in caplog.records if r.name == "perfbudget.writes"]
    assert len(lines) == 1
    assert re.fullmatch(
        rf"POST /projects/2024/{CODE}/submit/ status=302 user=finance1 ms=\d+", lines[0]
    )


def test_a_logged_out_request_cannot_forge_lines_in_the_write_log(db, caplog, monkeypatch):
    monkeypatch.setattr(logging.getLogger("perfbudget"), "propagate", True)
    forged = "/x%0D%0A2026-01-01 INFO perfbudget.writes 1 POST /admin/ status=200 user=admin%1B[2J"
    with caplog.at_level("INFO", logger="perfbudget.writes"):
        Client().post(forged)
        Client().post("/y%E2%80%A8z%20status=200%20user=admin")
    lines = [r.getMessage() for r in caplog.records if r.name == "perfbudget.writes"]
    assert len(lines) == 2
    for line in lines:
        assert not re.search(r"[\x00-\x1f\x7f\u2028\u2029]", line)
        assert re.fullmatch(r"POST \S+ status=\d+ user=- ms=\d+", line)
    assert lines[0].startswith("POST /x\\x0d\\x0a2026-01-01\\x20INFO")
    assert "\\x1b[2J" in lines[0]


def test_a_lost_database_gives_a_chinese_503_page(finance, reference):
    client = Client(raise_request_exception=False)
    client.force_login(finance)
    with connection.execute_wrapper(_refuse):
        response = client.get("/projects/")
    assert response.status_code == 503
    text = response.content.decode()
    assert "数据库暂时无法连接" in text
    assert "本次操作没有保存" in text


def test_an_unexpected_error_gives_a_chinese_500_page(finance, reference, monkeypatch):
    import projects.views.projects

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(projects.views.projects, "build_target_table", broken)
    client = Client(raise_request_exception=False)
    client.force_login(finance)
    response = client.get(reverse("projects:detail", args=[2024, CODE]))
    assert response.status_code == 500
    assert "服务器内部错误" in response.content.decode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tmp_path, port: int, output=subprocess.PIPE, **env) -> subprocess.Popen:
    """`make serve`'s start (scripts/serve.sh) on a database of its own, on this port."""
    return subprocess.Popen(
        ["bash", "scripts/serve.sh"],
        cwd=settings.BASE_DIR,
        env=_environment(
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
            STATIC_ROOT=str(tmp_path / "static"),
            CACHE_DIR=str(tmp_path / "cache"),
            BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY="1",
            TRUST_X_FORWARDED_PROTO="1",
            PYTHON_BIN=sys.executable,
            **env,
        ),
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _wait_until_answering(server, base: str, what: str, tries: int = 120) -> None:
    """Until the started server answers its health check (or fail, with its output)."""
    for _ in range(tries):
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                assert response.status == 200
                return
        except OSError:
            assert server.poll() is None, server.stdout.read()
            time.sleep(0.5)
    pytest.fail(f"{what} did not answer")


@pytest.mark.slow
def test_make_serve_runs_gunicorn_with_static_files(tmp_path):
    """The production start on its own database: migrate, collectstatic, gunicorn; the health
    endpoint answers, the login page comes with its headers and the hashed stylesheet is served
    compressed by the app."""
    port = _free_port()
    server = _serve(tmp_path, port)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_answering(server, base, "gunicorn")
        request = urllib.request.Request(
            f"{base}/accounts/login/", headers={"X-Forwarded-Proto": "https"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            page = response.read().decode()
            assert response.headers["Strict-Transport-Security"].startswith("max-age=")
            assert response.headers["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
        stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page).group(1)
        request = urllib.request.Request(
            f"{base}{stylesheet}", headers={"Accept-Encoding": "gzip", "X-Forwarded-Proto": "https"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert "immutable" in response.headers["Cache-Control"]
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_two_servers_on_one_machine_leave_no_control_socket_to_share(tmp_path):
    """gunicorn (25.1 on) opens a control socket at one fixed path per user; two servers on one
    machine (the two-server set-up, `make load --servers 2`) would take it from each other. The
    app never uses it: it is off."""
    home = tmp_path / "home"
    home.mkdir()
    port = _free_port()
    server = _serve(tmp_path, port, HOME=str(home))
    try:
        _wait_until_answering(server, f"http://127.0.0.1:{port}", "gunicorn")
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Listening at: http://127.0.0.1:" in output
    assert "Control socket" not in output
    assert not (home / ".gunicorn").exists()


def _system_packages(tmp_path, *args) -> list[str]:
    """The Debian packages scripts/system-deps.sh would install on a machine that has none."""
    stubs = tmp_path / "bin"
    stubs.mkdir(exist_ok=True)
    for name, body in {
        "dpkg-query": "exit 1",
        "apt-get": 'echo "apt-get $*"',
        "id": "echo 0",
        "fc-cache": "",
    }.items():
        (stubs / name).write_text(f"#!/bin/sh\n{body}\n")
        (stubs / name).chmod(0o755)
    result = subprocess.run(
        ["bash", "scripts/system-deps.sh", *args],
        cwd=settings.BASE_DIR,
        env={"PATH": f"{stubs}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    (install,) = [line for line in result.stdout.splitlines() if line.startswith("apt-get install")]
    return install.split("--no-install-recommends")[1].split()


def test_a_production_install_leaves_out_the_browser_and_the_test_tools(tmp_path):
    everything = _system_packages(tmp_path)
    runtime = _system_packages(tmp_path, "--runtime")
    assert {"chromium", "poppler-utils", "fonts-noto-cjk", "libharfbuzz-subset0"} <= set(everything)
    assert {"fonts-noto-cjk", "libharfbuzz-subset0", "libpango-1.0-0"} <= set(runtime)
    assert not {"chromium", "poppler-utils"} & set(runtime)
    # `make serve` installs the runtime set and the Python packages without the [dev] extra.
    plan = subprocess.run(
        ["make", "-n", "-B", "serve"], cwd=settings.BASE_DIR, capture_output=True, text=True
    ).stdout
    assert "system-deps.sh --runtime" in plan
    assert "pip install -q -e .\n" in plan and ".[dev]" not in plan


def test_not_found_and_forbidden_pages_are_in_chinese(outsider, reference, auditor):
    client = Client()
    client.force_login(outsider)
    response = client.get(reverse("projects:detail", args=[2024, CODE]))
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
    client.force_login(auditor)
    response = client.get(reverse("projects:import"))
    assert response.status_code == 403
    assert "只有财务人员和管理员可以导入" in response.content.decode()


def test_a_form_without_its_csrf_token_gets_a_chinese_page(finance, reference):
    client = Client(enforce_csrf_checks=True)
    client.force_login(finance)
    response = client.post(reverse("projects:submit", args=[2024, CODE]))
    assert response.status_code == 403
    assert "表单已失效" in response.content.decode()
    assert Project.objects.get(code=CODE).status == "draft"


@pytest.mark.parametrize(
    "method, url, data",
    [
        ("post", "projects:reopen", {"reason": "原因\x00"}),
        ("post", "projects:review", {"grade": "优", "comment": "\x00"}),
        ("get", "projects:suggest", {"q": "a\x00b"}),
    ],
)
def test_a_nul_character_is_refused_with_a_message_before_anything_is_read(
    unit_admin, chief, reference, method, url, data
):
    client = Client()
    client.force_login(unit_admin)
    args = [] if url == "projects:suggest" else [2024, CODE]
    before = Project.objects.get(code=CODE).status, Project.history.count()
    response = getattr(client, method)(reverse(url, args=args), data)
    assert response.status_code == 400
    assert "含有空字符" in response.content.decode()
    assert (Project.objects.get(code=CODE).status, Project.history.count()) == before


@pytest.mark.parametrize(
    "data, title, says",
    [
        ({"executed": "1" * (2_621_440 + 1)}, "提交的内容过大", "超过 2.5 MB"),
        ({f"field_{i}": "1" for i in range(4001)}, "提交的栏目过多", "超过 4000 个栏目"),
    ],
    ids=["too-big", "too-many-fields"],
)
def test_a_submission_over_the_size_limits_is_named_and_stores_nothing(
    finance, reference, data, title, says
):
    client = Client()
    client.force_login(finance)
    before = Project.history.count()
    response = client.post(reverse("projects:evaluation", args=[2024, CODE]), data)
    assert response.status_code == 413
    page = response.content.decode()
    assert title in page and says in page and "没有保存任何内容" in page
    assert Project.history.count() == before
    assert not SelfEvaluation.objects.filter(project__code=CODE).exists()


def test_debug_pages_keep_their_inline_styles(client, finance, settings):
    """With DEBUG on (a developer's runserver) Django's debug pages are styled inline: no CSP."""
    client.force_login(finance)
    assert client.get("/projects/")["Content-Security-Policy"]
    settings.DEBUG = True
    assert "Content-Security-Policy" not in client.get("/projects/")


def test_serve_does_not_start_when_check_deploy_warns(tmp_path):
    """HSTS switched off is a warning of check --deploy: the production start stops there."""
    server = _serve(tmp_path, _free_port(), SECURE_HSTS_SECONDS="0")
    try:
        output, _ = server.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, 15)
        server.communicate()
        pytest.fail("serve.sh started despite a deploy-check warning")
    assert server.returncode != 0
    assert "security.W004" in output


def test_logged_in_pages_and_files_are_private_and_not_stored(client, auditor, reference):
    client.force_login(auditor)
    for url in (
        reverse("home"),
        reverse("projects:detail", args=[2024, CODE]),
        reverse("projects:history", args=[2024, CODE]) + "?format=xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 200
        control = response["Cache-Control"]
        assert "private" in control and "no-store" in control, (url, control)


def test_cached_downloads_are_private_and_revalidated_so_etag_still_works(
    client, auditor, reference
):
    client.force_login(auditor)
    url = reverse("projects:table_xlsx", args=[2024, CODE])
    response = client.get(url)
    assert response["Cache-Control"] == "private, no-cache"
    again = client.get(url, headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    assert again["Cache-Control"] == "private, no-cache"


@pytest.mark.slow
def test_make_serve_starts_the_job_workers_beside_gunicorn_and_stops_them(tmp_path):
    """With Redis, `make serve` starts JOB_WORKERS RQ workers beside gunicorn; a stop of the
    start stops them all."""
    from redis import Redis
    from rq import Worker

    from tests import servers

    redis = servers.redis_or_fail()
    queue_name = f"test-serve-{secrets.token_hex(4)}"
    port = _free_port()
    server = _serve(
        tmp_path,
        port,
        output=subprocess.DEVNULL,
        REDIS_URL=servers.TEST_REDIS_URL,
        JOB_QUEUE=queue_name,
        JOB_WORKERS="2",
    )

    def workers() -> list:
        return [
            w
            for w in Worker.all(connection=Redis.from_url(servers.TEST_REDIS_URL))
            if queue_name in w.queue_names()
        ]

    try:
        for _ in range(240):
            if len(workers()) == 2:
                break
            assert server.poll() is None
            time.sleep(0.5)
        assert len(workers()) == 2
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10).close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert workers() == []
    redis.flushdb()


def _logins_at_once(base: str, people: int = 6) -> None:
    """Several people signing in at the same moment on the demo's SQLite: each gets in (a
    login writes its session and last-login time; writers wait for each other)."""
    openers = []
    for _ in range(people):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(f"{base}/accounts/login/", timeout=10).read()
        token = next(c.value for c in jar if c.name == "csrftoken")
        openers.append((opener, token))
    barrier, answers = threading.Barrier(people), []

    def sign_in(opener, token):
        form = {"username": "auditor", "password": "demo", "csrfmiddlewaretoken": token}
        barrier.wait()
        try:
            page = opener.open(f"{base}/accounts/login/", urllib.parse.urlencode(form).encode())
            answers.append(page.status)
        except urllib.error.HTTPError as refused:
            answers.append(refused.code)

    threads = [threading.Thread(target=sign_in, args=pair) for pair in openers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * people


def _booklet_by_job(opener, base: str) -> None:
    """The booklet link leads to its job's page at once; the job, run by a thread of the
    server, reports its progress and ends with the file."""
    page = opener.open(f"{base}/departments/136001/2024/booklet.pdf", timeout=30)
    token = re.fullmatch(r".*/jobs/([0-9a-f-]{36})/\?start=1", page.geturl()).group(1)
    assert 'id="job-bar"' in page.read().decode()
    for _ in range(240):
        status = json.loads(opener.open(f"{base}/jobs/{token}/status", timeout=10).read())
        if status["state"] in ("done", "failed"):
            break
        time.sleep(0.5)
    assert status["state"] == "done" and status["percent"] == 100, status
    with opener.open(f"{base}{status['file']}", timeout=30) as response:
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.read().startswith(b"%PDF")


@pytest.mark.slow
def test_make_run_serves_the_demo_with_the_apps_own_pages(tmp_path):
    """make run (scripts/run.sh): the demo data on its own database, plain HTTP on this machine,
    and the app's own pages: a missing page is the app's 404 with its top bar, never Django's
    debug page; the stylesheets and the icon are served; the demo users can sign in."""
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG", "SECRET_KEY")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}",
        CACHE_DIR=str(tmp_path / "cache"),
        FILES_DIR=str(tmp_path / "files"),
        PORT=str(port),
        PYTHON_BIN=sys.executable,
        # Every booklet by a job: the embedded default runs it in the server's own process.
        JOB_MIN_TABLES="1",
    )
    env.pop("REDIS_URL", None)
    env.pop("JOB_BACKEND", None)
    server = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(server, base, "make run", tries=240)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = opener.open(f"{base}/accounts/login/", timeout=10).read().decode()
        assert 'rel="icon"' in login
        icon = re.search(r'rel="icon"[^>]*href="([^"]+)"', login).group(1)
        assert opener.open(f"{base}{icon}", timeout=10).status == 200
        assert opener.open(f"{base}/static/css/app.css", timeout=10).status == 200
        token = next(c.value for c in jar if c.name == "csrftoken")
        form = urllib.parse.urlencode(
            {"username": "finance", "password": "demo", "csrfmiddlewaretoken": token}
        ).encode()
        home = opener.open(f"{base}/accounts/login/", form, timeout=10).read().decode()
        assert "承德高新技术产业开发区宣传中心本级" in home
        with pytest.raises(urllib.error.HTTPError) as missing:
            opener.open(f"{base}/projects/2024/NO-SUCH-CODE/", timeout=10)
        page = missing.value.read().decode()
        assert missing.value.code == 404
        assert "页面不存在" in page and "退出" in page
        assert "Page not found" not in page and "URLconf" not in page
        with pytest.raises(urllib.error.HTTPError) as unknown:
            opener.open(f"{base}/no-such-page/", timeout=10)
        assert unknown.value.code == 404 and "页面不存在" in unknown.value.read().decode()
        _booklet_by_job(opener, base)
        _logins_at_once(base)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
