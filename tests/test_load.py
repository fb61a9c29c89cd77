"""The load script's short run (scripts/load.py --quick): gunicorn on PostgreSQL, 8 users for
10 s of mixed traffic with edits of the same project and imports. Its speed figures are for
README.md and `make load`; here only what must hold at any speed: no error, no lost write."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.servers import TEST_REDIS_URL

pytestmark = pytest.mark.django_db


@pytest.mark.slow
@pytest.mark.parametrize("servers", [1, 2])
def test_quick_load_run_has_no_errors_and_loses_no_write(tmp_path, servers):
    """One server; and two on one PostgreSQL and Redis, each request to the next server (an
    import previewed on one is confirmed on the other, a stale save refused across them)."""
    if connection.vendor != "postgresql":
        pytest.skip("the load run needs PostgreSQL; the suite's PostgreSQL pass runs it")
    from tests.servers import redis_or_fail

    redis_or_fail()
    db = connection.settings_dict
    env = {
        **os.environ,
        "LOAD_DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}"
        "/perfbudget_load_ci",
        "LOAD_REDIS_URL": TEST_REDIS_URL,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.pop("DATABASE_URL", None)
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "scripts/load.py", "--quick", "--servers", str(servers)]
        + ["--json", str(report)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert report.exists(), result.stdout + result.stderr
    data = json.loads(report.read_text())
    assert data["errors"] == 0, data["error_samples"]
    assert data["lost_writes"] == []
    assert data["saves_confirmed"] > 0
    assert data["kinds"]["project"]["requests"] > 0
    assert data["kinds"]["trivial"]["requests"] > 0
    assert data["kinds"]["project"]["p95_vs_trivial"] is not None
    assert data["servers"] == servers
    if servers == 2:
        assert data["imports_confirmed"] > 0
