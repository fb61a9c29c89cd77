"""Starting jobs, finding one already started for the same content, and picking up a job whose
worker died.

Three backends (settings.JOB_BACKEND):
- "rq": RQ workers on Redis (`manage.py jobs_worker`, started by `make serve`). RQ runs each job
  in a child process of the worker; a child that dies mid-job (killed, out of memory) makes RQ
  put the job back on the queue, up to JOB_RETRIES times, and a worker that died whole is
  noticed by the next worker's maintenance, which does the same.
- "thread": threads inside the app's own process, for `make run` and one server with no Redis.
  A running job beats every BEAT_SECONDS; one whose process died stops beating, and the next
  look at its page after JOB_STALE_SECONDS starts it again here.
- "inline": in the request itself (tests).
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.core.files.storage import storages
from django.db import close_old_connections, connections, transaction
from django.utils import timezone

from jobs.models import Job, State
from jobs.work import run

log = logging.getLogger("perfbudget.jobs")


def start(job: Job) -> None:
    """Hand the job to the backend once the transaction that created it commits."""
    if settings.JOB_BACKEND == "inline":
        run(job.pk)
        job.refresh_from_db()
        return
    transaction.on_commit(lambda: _send(job.pk))


def _send(job_id: int) -> None:
    if settings.JOB_BACKEND == "rq":
        from rq import Retry

        rq_queue().enqueue(
            "jobs.work.run",
            job_id,
            retry=Retry(max=settings.JOB_RETRIES),
            job_timeout=settings.JOB_TIMEOUT,
            description=f"perfbudget job {job_id}",
        )
    else:
        _threads().submit(_in_thread, job_id)


@lru_cache(maxsize=1)
def rq_queue():
    from redis import Redis
    from rq import Queue

    return Queue(settings.JOB_QUEUE, connection=Redis.from_url(settings.REDIS_URL))


@lru_cache(maxsize=1)
def _threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=settings.JOB_WORKERS, thread_name_prefix="job")


def _in_thread(job_id: int) -> None:
    close_old_connections()
    alive = threading.Event()
    beating = threading.Thread(target=_beat, args=(job_id, alive), daemon=True)
    beating.start()
    try:
        run(job_id)
    except Exception:
        log.exception("job %s: worker thread failed", job_id)
    finally:
        alive.set()
        beating.join()
        connections.close_all()  # this thread's connections only


def _beat(job_id: int, done: threading.Event) -> None:
    """While a "thread" job runs, say so every BEAT_SECONDS: a job that stops beating for
    JOB_STALE_SECONDS lost its process (a restart) and is taken up again (`recover`)."""
    try:
        while not done.wait(BEAT_SECONDS):
            Job.objects.filter(pk=job_id, state=State.RUNNING).update(beat_at=timezone.now())
    finally:
        connections.close_all()


BEAT_SECONDS = 10


def recover(job: Job) -> Job:
    """A "thread" job that stopped beating (its process died) is started again here, once per
    stale beat (the conditional update lets one request take it), until JOB_RETRIES; then it
    fails with its reason."""
    if settings.JOB_BACKEND != "thread" or job.state not in (State.QUEUED, State.RUNNING):
        return job
    stale = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS)
    if job.beat_at >= stale:
        return job
    if job.attempts > settings.JOB_RETRIES:
        Job.objects.filter(pk=job.pk, beat_at=job.beat_at).update(
            state=State.FAILED, error=STOPPED, finished_at=timezone.now()
        )
    elif Job.objects.filter(pk=job.pk, beat_at=job.beat_at).update(
        state=State.QUEUED, beat_at=timezone.now(), done=0, total=0
    ):
        log.warning("job %s stopped beating; started again", job.pk)
        _send(job.pk)
    job.refresh_from_db()
    return job


STOPPED = "生成中断：后台进程多次意外停止。请稍后重试，或联系管理员。"


def prune() -> None:
    """Forget jobs older than JOB_KEEP_DAYS, and their files."""
    old = Job.objects.filter(created_at__lt=timezone.now() - timedelta(days=settings.JOB_KEEP_DAYS))
    storage = storages["jobs"]
    for file, upload in old.values_list("file", "upload"):
        for name in (file, upload):
            if name:
                storage.delete(name)
    old.delete()


def file_ready(job: Job | None) -> bool:
    return (
        job is not None
        and job.state == State.DONE
        and job.makes_file
        and storages["jobs"].exists(job.file)
    )
