"""Jobs in real RQ workers on Redis and PostgreSQL: a worker whose job process is killed
mid-job runs the job again, and nothing half-written is ever served. PostgreSQL only: the
worker is another process and must see the test's committed rows (the suite's PostgreSQL pass
runs this)."""

import os
import signal
import time

import pytest
from django.core.files.storage import storages
from django.db import connection
from django.urls import reverse

from jobs import queue
from jobs.models import Job, State
from tests import servers

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


@pytest.fixture
def rq_settings(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("workers are other processes; the suite's PostgreSQL pass runs this")
    redis = servers.redis_or_fail()
    env = servers.environment(tmp_path)
    settings.JOB_BACKEND, settings.REDIS_URL = "rq", env["REDIS_URL"]
    settings.JOB_QUEUE, settings.JOB_MIN_TABLES = env["JOB_QUEUE"], 1
    queue.rq_queue.cache_clear()
    yield env
    queue.rq_queue.cache_clear()
    redis.flushdb()


def _wait(job: Job, until, seconds=180) -> Job:
    for _ in range(int(seconds / 0.02)):
        job.refresh_from_db()
        if until(job):
            return job
        time.sleep(0.02)
    pytest.fail(f"job stuck: {job.state} {job.done}/{job.total} {job.error}")


def test_a_killed_job_process_is_run_again_and_nothing_half_written_is_kept(
    client, auditor, reference, rq_settings, tmp_path
):
    with open(tmp_path / "worker.log", "w") as log:
        worker = servers.worker(rq_settings, log)
        try:
            client.force_login(auditor)
            response = client.get(reverse("unit_year:booklet_pdf", args=["136001", 2024]))
            job = Job.objects.get()
            assert response["Location"] == reverse("jobs:detail", args=[job.token]) + "?start=1"
            _wait(job, lambda j: j.state == State.RUNNING)
            horses = servers.children(worker.pid)
            assert len(horses) == 1, horses
            os.kill(horses[0], signal.SIGKILL)
            job = _wait(job, lambda j: j.state in (State.DONE, State.FAILED))
        finally:
            servers.stop(worker)
    log_text = (tmp_path / "worker.log").read_text()
    assert job.state == State.DONE, log_text
    assert job.attempts == 2
    # The killed attempt left no file; the job points at the second attempt's whole file.
    stored = storages["jobs"].listdir("jobs")[1]
    assert [name for name in stored if str(job.token) in name] == [f"{job.token}-2.pdf"]
    assert job.file == f"jobs/{job.token}-2.pdf"
    served = client.get(reverse("jobs:file", args=[job.token]))
    assert b"".join(served.streaming_content).startswith(b"%PDF")
