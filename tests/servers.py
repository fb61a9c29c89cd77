"""Real processes for the tests that need them: app servers (gunicorn) and RQ job workers on
this test session's PostgreSQL database and on a Redis database of the tests' own."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest
from django.conf import settings
from django.db import connection

# Redis's last database: the tests' own, emptied before and after each test that uses it.
TEST_REDIS_URL = os.getenv("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_or_fail():
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    client = Redis.from_url(TEST_REDIS_URL)
    try:
        client.flushdb()
    except RedisDown:
        pytest.fail(f"Redis does not answer at {TEST_REDIS_URL} (.ci/run starts it)")
    return client


def environment(tmp_path, **extra) -> dict:
    """What every process of one test shares: the test database, Redis, a queue of the test's
    own, the directory of rendered files and the secret key."""
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE",)}
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=TEST_REDIS_URL,
        JOB_BACKEND="rq",
        JOB_QUEUE=f"test-{uuid.uuid4().hex}",
        FILES_DIR=settings.STORAGES["jobs"]["OPTIONS"]["location"],
        DEBUG="0",
        SECRET_KEY="two-servers-test-key-0123456789abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        STATIC_PLAIN="1",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def start(args: list[str], env: dict, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def worker(env: dict, log) -> subprocess.Popen:
    return start(["manage.py", "jobs_worker"], env, log)


def app_server(env: dict, port: int, cache_dir, log) -> subprocess.Popen:
    """One gunicorn, as on a machine of its own: its own port and local cache directory."""
    env = {**env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "CACHE_DIR": str(cache_dir)}
    server = start(
        ["-m", "gunicorn", "-c", "python:perfbudget.gunicorn_conf", "perfbudget.wsgi"], env, log
    )
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
            return server
        except OSError:
            assert server.poll() is None, "gunicorn stopped"
            time.sleep(0.25)
    pytest.fail("gunicorn did not answer")


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, 15)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def children(pid: int) -> list[int]:
    path = f"/proc/{pid}/task/{pid}/children"
    try:
        with open(path) as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []
