"""A large import, confirmed by a background job: the request that confirms it only keeps the
workbook and what its preview saw (jobs/services.py), and the page shows the job; the worker
checks the file again (as the request would) and writes it in one transaction that also marks
the job done. So a worker killed on the way has written nothing and the retry starts afresh,
and a retry never finds its own earlier write and calls it someone else's change.

An import job is its requester's alone: it writes what that user may write, checked when it
runs, and its outcome names their units."""

import logging

from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from jobs.models import Job, State
from projects.importer import ImportRejected, import_apply, import_prepare

log = logging.getLogger("perfbudget.jobs")

IMPORT_DONE = "导入完成：{outcome}。"
NOT_WRITTEN = "文件有 {count} 处问题，未导入任何数据："
IMPORT_BROKEN = "导入失败：服务器内部错误，已记录，未写入任何数据。请稍后重试，或联系管理员。"


def seen_to_json(seen: tuple[dict, dict]) -> dict:
    """The versions a preview saw ({(year, code): v}, {(code, year): v}) as JSON."""
    projects, units = seen
    return {
        "projects": [[year, code, v] for (year, code), v in projects.items()],
        "units": [[code, year, v] for (code, year), v in units.items()],
    }


def seen_from_json(data: dict) -> tuple[dict, dict]:
    return (
        {(year, code): v for year, code, v in data["projects"]},
        {(code, year): v for code, year, v in data["units"]},
    )


def run_import(job: Job) -> None:
    """Check the kept workbook again and write it; the outcome (or every problem) is the
    job's. The kept workbook is deleted once the job has ended."""
    storage = storages["jobs"]
    try:
        with storage.open(job.upload, "rb") as upload:
            data = upload.read()
        Job.objects.filter(pk=job.pk).update(done=0, total=2, beat_at=timezone.now())
        plan = import_prepare(
            data,
            user=job.requested_by,
            default_year=job.seen.get("year"),
            seen=seen_from_json(job.seen),
        )
        Job.objects.filter(pk=job.pk).update(done=1, beat_at=timezone.now())
        with transaction.atomic():
            import_apply(plan, user=job.requested_by)
            Job.objects.filter(pk=job.pk).update(
                state=State.DONE,
                done=2,
                outcome=IMPORT_DONE.format(outcome=plan.outcome),
                finished_at=timezone.now(),
            )
    except ImportRejected as rejected:
        problems = [str(problem) for problem in rejected.problems]
        _end(job, "\n".join([NOT_WRITTEN.format(count=len(problems)), *problems]))
    except Exception:
        log.exception("job %s (import) failed", job.pk)
        _end(job, IMPORT_BROKEN)
    storage.delete(job.upload)


def _end(job: Job, reason: str) -> None:
    Job.objects.filter(pk=job.pk).update(
        state=State.FAILED, error=reason, finished_at=timezone.now()
    )
