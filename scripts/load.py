"""perfbudget load test: `make load` (full) or `python scripts/load.py --quick`.

Builds a fresh PostgreSQL database (the reference unit and a generated large unit), starts the
production server the way `make serve` does (gunicorn, DEBUG off, whitenoise) on a free
loopback port, and drives it with concurrent users for a bounded time and number of requests:
lists, project pages, table PDF and Excel downloads, edits of projects by several users at once
(some on the same project, where the later save must be refused, never merged), and imports
through the upload page. Then it checks that no write was lost and reports requests per second,
latency percentiles and errors per kind of request, each compared with the trivial view of the
same server (/healthz), at the median and at p95. Exit status 0 only when the goals are met: no
error, no lost write, and the project page's p95 under 10× the trivial view's p95 (users at full
speed) or under 300 ms (--think: users who read a few seconds between clicks).

--servers 2 starts two app servers on one PostgreSQL and one Redis (LOAD_REDIS_URL, a database
of its own, emptied first) with a job worker each, and sends each user's requests to them in
turn: an import previewed on one is confirmed on the other.

Only loopback: the server binds 127.0.0.1 and the database must be on 127.0.0.1 or localhost.
"""

import argparse
import http.client
import io
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DATABASE_URL = os.getenv("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/perfbudget_load")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PASSWORD = "load-Passw0rd-" + secrets.token_hex(4)
# One key for every server of a run: a session or CSRF token made by one is good on the other.
SECRET_KEY = secrets.token_urlsafe(50)
# With --servers 2: the shared cache and the job queue (a database of Redis for the load run).
REDIS_URL = os.getenv("LOAD_REDIS_URL", "redis://127.0.0.1:6379/14")
THINK_GOAL_MS = 300
YEAR = 2024
REFERENCE_CODE = "136001"
GOAL_RATIO = 10

# What a user does, with how often (weights).
MIX = {
    "trivial": 15,
    "list": 20,
    "project": 30,
    "pdf": 6,
    "xlsx": 6,
    "edit": 18,
    "import": 2,
}


# --- set-up ----------------------------------------------------------------------------------


def _check_loopback(url: str) -> None:
    host = urlparse(url).hostname
    if host not in LOOPBACK:
        sys.exit(f"load: refusing a database that is not on this machine: {host}")


def _recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = dict(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username)
    with psycopg.connect(**admin, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(projects: int, users: int) -> dict:
    """A fresh database with the reference unit, a large unit, and one finance user per
    virtual user. Returns the codes the users work on."""
    _recreate_database(DATABASE_URL)
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfbudget.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from departments.models import Department, Membership, Role
    from projects.models import Project
    from scripts.bench_data import LARGE_CODE, build_large_unit

    call_command("migrate", verbosity=0)
    os.environ["DEMO_PASSWORD"] = PASSWORD
    with open(os.devnull, "w") as devnull:
        call_command("load_demo", force=True, stdout=devnull)
    build_large_unit(projects=projects)
    from django.contrib.auth import get_user_model

    large = Department.objects.get(code=LARGE_CODE)
    reference = Department.objects.get(code=REFERENCE_CODE)
    User = get_user_model()
    for n in range(users):
        user = User.objects.create_user(f"load{n:03d}", password=PASSWORD)
        Membership.objects.create(user=user, department=large, role=Role.FINANCE)
        Membership.objects.create(user=user, department=reference, role=Role.FINANCE)
    codes = list(
        Project.objects.filter(department=large, year=YEAR)
        .order_by("booklet_order")
        .values_list("code", flat=True)
    )
    from django.db import connections

    connections.close_all()
    return {"large": LARGE_CODE, "codes": codes}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    work: Path, workers: int | None, shared: bool = False
) -> tuple[subprocess.Popen, int]:
    """One app server as `make serve` starts it; `shared`: one of several, on Redis (the cache,
    the import previews and an RQ job worker beside it) with the job files in one directory."""
    port = _free_port()
    work = work / str(port)
    work.mkdir()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": DATABASE_URL,
        "CONN_MAX_AGE": "60",
        "BIND": f"127.0.0.1:{port}",
        "TRUST_X_FORWARDED_PROTO": "1",
        "STATIC_ROOT": str(work / "static"),
        "CACHE_DIR": str(work / "cache"),
        "LOG_FILE": str(work / "app.log"),
        "PYTHON_BIN": sys.executable,
    }
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    if shared:
        env.update(REDIS_URL=REDIS_URL, FILES_DIR=str(work.parent / "files"), JOB_WORKERS="1")
        env["JOB_QUEUE"] = "load-" + SECRET_KEY[:8]
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = open(work / "server.log", "w")
    server = subprocess.Popen(
        ["bash", str(BASE_DIR / "scripts" / "serve.sh")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(240):
        if server.poll() is not None:
            sys.exit("load: the server did not start:\n" + (work / "server.log").read_text())
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            pass
        time.sleep(0.5)
    stop_server(server)
    sys.exit("load: the server did not answer within 120 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def _empty_redis() -> None:
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()


# --- a virtual user ----------------------------------------------------------------------------


class _Form(HTMLParser):
    """The fields of the first form with the given id (inputs, selects, textareas)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


@dataclass
class Results:
    latencies: dict = field(default_factory=lambda: defaultdict(list))
    errors: dict = field(default_factory=lambda: defaultdict(list))
    saved: list = field(default_factory=list)  # (code, version posted, token)
    refused: int = 0
    imports: list = field(default_factory=list)  # tokens of confirmed imports, in order
    imports_refused: int = 0  # refused because a colleague changed the project since
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0


class User:
    """A browser; with several servers, each request goes to the next one (round-robin)."""

    def __init__(self, ports: list[int], name: str, results: Results):
        self.name, self.results = name, results
        self.cookies: dict[str, str] = {}
        self.servers = [
            (port, http.client.HTTPConnection("127.0.0.1", port, timeout=120)) for port in ports
        ]
        self.turn = 0

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        self.turn = (self.turn + 1) % len(self.servers)
        port, self.connection = self.servers[self.turn]
        headers = {
            "X-Forwarded-Proto": "https",
            "Origin": f"https://127.0.0.1:{port}",
            "Referer": f"https://127.0.0.1:{port}{path}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **(headers or {}),
        }
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server closed (a worker replaced): reconnect once.
                self.connection.close()
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location", ""), data

    def timed(self, kind: str, method: str, path: str, expect: tuple, **kwargs):
        started = time.perf_counter()
        try:
            status, location, data = self.request(method, path, **kwargs)
        except OSError as error:
            self._error(kind, f"{method} {path}: {error!r}")
            return None
        elapsed = time.perf_counter() - started
        with self.results.lock:
            self.results.requests += 1
            self.results.latencies[kind].append(elapsed)
        if status not in expect:
            self._error(kind, f"{method} {path}: HTTP {status}")
            return None
        return status, location, data

    def _error(self, kind: str, message: str) -> None:
        with self.results.lock:
            self.results.requests += 1
            self.results.errors[kind].append(message)

    def post_form(self, kind: str, path: str, fields: dict, expect=(200, 302)):
        fields = {**fields, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
        body = urlencode(fields).encode()
        return self.timed(
            kind,
            "POST",
            path,
            expect,
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def login(self) -> None:
        self.timed("login", "GET", "/accounts/login/", (200,))
        result = self.post_form(
            "login", "/accounts/login/", {"username": self.name, "password": PASSWORD}, (302,)
        )
        if result is None or "sessionid" not in self.cookies:
            raise RuntimeError(f"{self.name} could not log in")


def _edit(user: User, code: str) -> None:
    path = f"/projects/{YEAR}/{code}/edit/"
    page = user.timed("edit", "GET", path, (200,))
    if page is None:
        return
    form = _Form("project-editor")
    form.feed(page[2].decode())
    fields = form.fields
    if "version" not in fields:
        user._error("edit", f"GET {path}: no editor form")
        return
    token = f"{user.name}-{secrets.token_hex(4)}"
    fields["fund_use"] = f"用于开展年度重点工作。修改 {token}"
    result = user.post_form("edit", path, fields, expect=(302, 409))
    if result is None:
        return
    status, location, data = result
    with user.results.lock:
        if status == 302:
            user.results.saved.append((code, int(fields["version"]), token))
        elif "保存被拒绝" in data.decode():
            user.results.refused += 1
        else:
            user.results.errors["edit"].append(f"POST {path}: refused without a reason")


# An import of a file older than a colleague's save, or confirmed after one, is refused with
# one of these: the expected answer under concurrent edits, as a 409 is for a save.
STALE_IMPORT = ("在本文件导出之后已被修改".encode(), "在预览（检查）之后已被修改".encode())


def _stale(user: User, page: bytes) -> bool:
    if any(mark in page for mark in STALE_IMPORT):
        with user.results.lock:
            user.results.imports_refused += 1
        return True
    return False


def _import(user: User) -> None:
    """Download the reference unit's data workbook, change one value, upload it, confirm."""
    path = f"/departments/{REFERENCE_CODE}/{YEAR}/data.xlsx"
    download = user.timed("import", "GET", path, (200,))
    if download is None:
        return
    workbook = download[2]
    token = f"{user.name}-{secrets.token_hex(4)}"
    changed = _with_fund_use(workbook, token)
    boundary = "----perfbudget" + secrets.token_hex(8)
    parts = [
        ("csrfmiddlewaretoken", user.cookies.get("csrftoken", "").encode(), None),
        ("year", str(YEAR).encode(), None),
        ("file", changed, "data.xlsx"),
    ]
    body = io.BytesIO()
    for name, value, filename in parts:
        body.write(f"--{boundary}\r\n".encode())
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body.write(f"Content-Disposition: {disposition}\r\n\r\n".encode())
        body.write(value + b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    preview = user.timed(
        "import", "POST", "/projects/import/", (200,), body=body.getvalue(), headers=headers
    )
    if preview is None:
        return
    match = re.search(rb'name="token" value="([^"]+)"', preview[2])
    if not match:
        if not _stale(user, preview[2]):
            user._error("import", "upload: no preview to confirm")
        return
    confirmed = user.post_form("import", "/projects/import/", {"token": match.group(1).decode()})
    if confirmed and confirmed[0] == 302 and confirmed[1].endswith("/projects/import/"):
        # Back to the upload page: the server did not find the upload it previewed.
        user._error("import", "confirm: the previewed upload was not found")
    elif confirmed and confirmed[0] == 302:
        with user.results.lock:
            user.results.imports.append(token)
    elif confirmed and not _stale(user, confirmed[2]):
        user._error("import", "confirm: refused without a reason")


def _with_fund_use(workbook: bytes, token: str) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook))
    sheet = book["项目"]
    column = [c.value for c in sheet[1]].index("资金用途") + 1
    sheet.cell(row=2, column=column).value = f"签订协议、按时播放高新区新闻 {token}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run_user(user: User, plan: dict, clock: dict, budget: threading.Semaphore, rng, think: float):
    """Log in, wait until every user has, then work until the clock runs out."""
    try:
        user.login()
    except (RuntimeError, OSError) as error:
        user._error("login", str(error))
        clock["barrier"].abort()
        return
    try:
        clock["barrier"].wait(timeout=300)
    except threading.BrokenBarrierError:
        return
    deadline = clock["start"] + clock["seconds"]
    codes, own = plan["codes"], plan["own"][user.name]
    kinds, weights = zip(*MIX.items(), strict=True)
    if think:
        # People who read between clicks do not all click at the same instant when the clock
        # starts: each first reads the page they are on (otherwise all 50 first requests
        # queue at once, a burst no office makes, and it alone sets the p95).
        time.sleep(min(rng.expovariate(1 / think), max(0.0, deadline - time.monotonic())))
    while time.monotonic() < deadline and budget.acquire(blocking=False):
        kind = rng.choices(kinds, weights)[0]
        code = rng.choice(codes)
        if kind == "trivial":
            user.timed(kind, "GET", "/healthz", (200,))
        elif kind == "list":
            page = rng.randint(1, max(1, len(codes) // 25))
            query = urlencode({"department": plan["department_id"], "page": page})
            user.timed(kind, "GET", f"/projects/?{query}", (200,))
        elif kind == "project":
            user.timed(kind, "GET", f"/projects/{YEAR}/{code}/", (200,))
        elif kind == "pdf":
            user.timed(kind, "GET", f"/projects/{YEAR}/{code}/table.pdf", (200,))
        elif kind == "xlsx":
            user.timed(kind, "GET", f"/projects/{YEAR}/{code}/table.xlsx", (200,))
        elif kind == "edit":
            # Mostly the user's own projects; one in five on a project everyone edits.
            _edit(user, codes[0] if rng.random() < 0.2 else rng.choice(own))
        elif kind == "import":
            _import(user)
        if think:
            # A person reads the page before the next click (exponential, mean `think` s).
            time.sleep(min(rng.expovariate(1 / think), max(0.0, deadline - time.monotonic())))


# --- after the run: no lost write --------------------------------------------------------------


def verify(results: Results) -> list[str]:
    """Every save the server confirmed is in the history; each project holds its last save;
    the last confirmed import's value is the reference project's."""
    from projects.models import Project

    problems = []
    by_code = defaultdict(list)
    for code, version, token in results.saved:
        by_code[code].append((version, token))
    for code, saves in by_code.items():
        versions = [v for v, _ in saves]
        if len(set(versions)) != len(versions):
            problems.append(f"{code}: two saves were accepted from the same version {versions}")
        history = set(
            Project.history.filter(code=code, year=YEAR).values_list("fund_use", flat=True)
        )
        for _, token in saves:
            if not any(token in text for text in history):
                problems.append(f"{code}: the confirmed save {token} is not in the history")
        last = max(saves)[1]
        current = Project.objects.get(code=code, year=YEAR).fund_use
        if last not in current:
            problems.append(f"{code}: holds {current!r}, the last confirmed save was {last}")
    if results.imports:
        reference = (
            Project.objects.filter(department__code=REFERENCE_CODE, year=YEAR)
            .order_by("booklet_order")
            .first()
        )
        history = set(Project.history.filter(id=reference.pk).values_list("fund_use", flat=True))
        for token in results.imports:
            if not any(token in text for text in history):
                problems.append(f"import {token} is not in the history")
    return problems


# --- the report --------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(
    results: Results, elapsed: float, users: int, think: float, lost: list[str], servers: int = 1
) -> dict:
    trivial = results.latencies.get("trivial") or [float("nan")]
    trivial_p95 = _percentile(trivial, 0.95)
    rows = {}
    for kind in ["trivial", "login", *[k for k in MIX if k != "trivial"]]:
        values = results.latencies.get(kind, [])
        if not values and not results.errors.get(kind):
            continue
        p95 = _percentile(values, 0.95) if values else float("nan")
        rows[kind] = {
            "requests": len(values),
            "errors": len(results.errors.get(kind, [])),
            "per_second": round(len(values) / elapsed, 1),
            "p50_ms": round(statistics.median(values) * 1000, 1) if values else None,
            "p90_ms": round(_percentile(values, 0.90) * 1000, 1) if values else None,
            "p95_ms": round(p95 * 1000, 1) if values else None,
            "p99_ms": round(_percentile(values, 0.99) * 1000, 1) if values else None,
            "max_ms": round(max(values) * 1000, 1) if values else None,
            "p50_vs_trivial": round(statistics.median(values) / statistics.median(trivial), 1)
            if values
            else None,
            "p95_vs_trivial": round(p95 / trivial_p95, 1) if values else None,
        }
    errors = sum(len(v) for v in results.errors.values())
    measured = sum(len(v) for k, v in results.latencies.items() if k != "login")
    project_ratio = rows.get("project", {}).get("p95_vs_trivial")
    goals = {"no_errors": errors == 0, "no_lost_writes": not lost}
    if think:
        # People who read before they click: the page must feel immediate.
        project_p95 = rows.get("project", {}).get("p95_ms")
        goals[f"project_p95_under_{THINK_GOAL_MS}ms"] = (
            project_p95 is not None and project_p95 < THINK_GOAL_MS
        )
    else:
        goals[f"project_p95_under_{GOAL_RATIO}x_trivial"] = (
            project_ratio is not None and project_ratio < GOAL_RATIO
        )
    return {
        "users": users,
        "servers": servers,
        "think_seconds": think,
        "seconds": round(elapsed, 1),
        "requests": measured,
        "per_second": round(measured / elapsed, 1),
        "errors": errors,
        "error_samples": [m for v in results.errors.values() for m in v][:10],
        "saves_confirmed": len(results.saved),
        "saves_refused_as_stale": results.refused,
        "imports_confirmed": len(results.imports),
        "imports_refused_as_stale": results.imports_refused,
        "lost_writes": lost,
        "kinds": rows,
        "goals": goals,
    }


def print_report(data: dict) -> None:
    print(
        f"\n{data['users']} users (think {data['think_seconds']} s) on {data['servers']} "
        f"server(s), {data['seconds']} s, "
        f"{data['requests']} requests "
        f"({data['per_second']}/s), {data['errors']} errors"
    )
    print(
        f"edits: {data['saves_confirmed']} saved, {data['saves_refused_as_stale']} refused as "
        f"stale; imports: {data['imports_confirmed']} confirmed, "
        f"{data['imports_refused_as_stale']} refused as stale; "
        f"lost writes: {len(data['lost_writes'])}"
    )
    head = f"{'kind':<9}{'n':>7}{'err':>5}{'/s':>8}{'p50':>9}{'p90':>9}{'p95':>9}{'p99':>9}"
    print(head + f"{'max':>9}{'p50/triv':>10}{'p95/triv':>10}")
    for kind, row in data["kinds"].items():
        cells = [row[k] if row[k] is not None else "-" for k in ("p50_ms", "p90_ms", "p95_ms")]
        cells += [row[k] if row[k] is not None else "-" for k in ("p99_ms", "max_ms")]
        print(
            f"{kind:<9}{row['requests']:>7}{row['errors']:>5}{row['per_second']:>8}"
            + "".join(f"{c:>9}" for c in cells)
            + f"{row['p50_vs_trivial'] if row['p50_vs_trivial'] is not None else '-':>10}"
            + f"{row['p95_vs_trivial'] if row['p95_vs_trivial'] is not None else '-':>10}"
        )
    for sample in data["error_samples"]:
        print("  error:", sample)
    for problem in data["lost_writes"]:
        print("  lost:", problem)
    print("goals:", ", ".join(f"{k}={'met' if v else 'NOT MET'}" for k, v in data["goals"].items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument(
        "--think",
        type=float,
        default=0,
        help="mean seconds a user waits between requests (0: none, every user at full speed)",
    )
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="app servers behind the users (2: on Redis, each request to the next server)",
    )
    parser.add_argument("--json", help="also write the report to this file")
    parser.add_argument(
        "--quick", action="store_true", help="a short run for CI: 8 users, 10 s, 20 projects"
    )
    args = parser.parse_args()
    if args.quick:
        args.users, args.seconds, args.projects = 8, 10, 20
    _check_loopback(DATABASE_URL)
    work = Path(tempfile.mkdtemp(prefix="perfbudget-load-"))
    print(f"load: preparing {DATABASE_URL} ({args.projects} projects, {args.users} users)")
    prepared = prepare(args.projects, args.users)
    from departments.models import Department

    names = [f"load{n:03d}" for n in range(args.users)]
    codes = prepared["codes"]
    plan = {
        "codes": codes,
        "own": {name: codes[1 + n :: args.users] or codes[1:] for n, name in enumerate(names)},
        "department_id": Department.objects.get(code=prepared["large"]).pk,
    }
    from django.db import connections

    connections.close_all()
    shared = args.servers > 1
    if shared:
        _empty_redis()
    started = [start_server(work, args.workers, shared) for _ in range(args.servers)]
    ports = [port for _, port in started]
    print(f"load: servers on {ports}; {args.seconds:.0f} s, at most {args.max_requests}")
    results = Results()
    budget = threading.Semaphore(args.max_requests)
    # The clock starts once every user has logged in (logins are reported on their own line).
    clock = {"seconds": args.seconds, "start": 0.0}
    clock["barrier"] = threading.Barrier(
        args.users, action=lambda: clock.update(start=time.monotonic())
    )
    threads = [
        threading.Thread(
            target=run_user,
            args=(User(ports, name, results), plan, clock, budget, random.Random(n), args.think),
            daemon=True,
        )
        for n, name in enumerate(names)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 360)
        elapsed = time.monotonic() - clock["start"] if clock["start"] else float("nan")
    finally:
        for server, _ in started:
            stop_server(server)
    lost = verify(results)
    data = report(results, elapsed, args.users, args.think, lost, args.servers)
    print_report(data)
    if args.json:
        Path(args.json).write_text(json.dumps(data, ensure_ascii=False, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 0 if all(data["goals"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
