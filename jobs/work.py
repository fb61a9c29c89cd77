"""What a worker does with a job: draw the file, reporting progress, then keep it.

`run` is the one entry point of every backend (jobs/queue.py). The file is written to the
jobs storage only once it is whole, under a name of this attempt, and the job says done only
after that: a worker killed on the way leaves no file the job points to, and the retry draws
it again. A job's unit is read again here, and a year's zip holds only the units its requester
may read when it runs.
"""

import io
import logging
import re
import time
import zipfile

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db.models import F
from django.utils import timezone

from departments.access import departments_for_user
from departments.models import DepartmentYear
from jobs.imports import run_import
from jobs.models import Job, Kind, State
from perfbudget.lib.downloads import RenderTimeout, cached_file
from projects.documents.booklet import DRAWERS, booklet_key, department_tables
from projects.documents.data_workbook import data_workbook
from projects.documents.part_one import build_part_one
from projects.documents.stamp import unit_year_stamp

log = logging.getLogger("perfbudget.jobs")

TIMED_OUT = "生成超时：内容太多，未能在规定时间内完成。请稍后重试，或联系管理员调整时限。"
BROKEN = "生成失败：服务器内部错误，已记录。请稍后重试，或联系管理员。"


NO_UNITS = "该年度已没有您可查看的单位。"
# What a file name in a zip must not hold: folders, characters Windows refuses, controls.
UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


class NothingToDraw(Exception):
    """The job has nothing left to draw (its units are gone or no longer readable)."""


def entry_name(title: str) -> str:
    """A zip entry's name: one file, never a path (no "..", no folder, no drive)."""
    return UNSAFE.sub("_", title).strip(". ") + ".pdf"


class Progress:
    """Writes a job's progress, at most a few times a second (and always the last step)."""

    def __init__(self, job: Job):
        self.job_id = job.pk
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.3:
            return
        self.last = now
        Job.objects.filter(pk=self.job_id).update(
            done=min(done, total), total=total, beat_at=timezone.now()
        )


def run(job_id: int) -> None:
    claimed = Job.objects.filter(pk=job_id, state__in=[State.QUEUED, State.RUNNING]).update(
        state=State.RUNNING, attempts=F("attempts") + 1, beat_at=timezone.now(), done=0
    )
    if not claimed:
        return  # done or failed already, or its unit was deleted
    job = Job.objects.select_related("department", "requested_by").get(pk=job_id)
    if job.kind == Kind.IMPORT:
        run_import(job)
        return
    try:
        data = _draw(job, Progress(job))
    except RenderTimeout:
        _fail(job, TIMED_OUT)
    except DepartmentYear.DoesNotExist:
        _fail(job, "该单位已没有这一年度的绩效目标。")
    except NothingToDraw as nothing:
        _fail(job, str(nothing))
    except Exception:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        _fail(job, BROKEN)
    else:
        name = f"jobs/{job.token}-{job.attempts}.{job.extension}"
        name = storages["jobs"].save(name, ContentFile(data))
        Job.objects.filter(pk=job.pk).update(
            state=State.DONE, file=name, done=F("total"), finished_at=timezone.now()
        )


def _fail(job: Job, reason: str) -> None:
    Job.objects.filter(pk=job.pk).update(
        state=State.FAILED, error=reason, finished_at=timezone.now()
    )


def _draw(job: Job, progress: Progress) -> bytes:
    if job.kind == Kind.YEAR_ZIP:
        return _year_zip(job, progress)
    department_year = DepartmentYear.objects.with_part_one(job.year).get(
        department=job.department, year=job.year
    )
    if job.kind == Kind.DATA_XLSX:
        progress(0, 1)
        return data_workbook(department_year)
    draw = DRAWERS[job.extension]
    return draw(build_part_one(department_year), department_tables(department_year), progress)


def year_units(user, year: int):
    """The unit-years of a year that the user may read, in code order."""
    return (
        DepartmentYear.objects.filter(department__in=departments_for_user(user), year=year)
        .select_related("department")
        .order_by("department__code")
    )


def _year_zip(job: Job, progress: Progress) -> bytes:
    """Every readable unit's booklet PDF of the year, one file each, in one zip. A booklet
    already drawn for the same content is taken from the download cache."""
    units = list(year_units(job.requested_by, job.year))
    if not units:
        raise NothingToDraw(NO_UNITS)
    # The units it holds: shown only while every one of them is still the requester's to read.
    Job.objects.filter(pk=job.pk).update(units=[u.department_id for u in units])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for done, unit in enumerate(units, 1):

            def render(unit=unit) -> bytes:
                unit = DepartmentYear.objects.with_part_one(job.year).get(pk=unit.pk)
                return DRAWERS["pdf"](build_part_one(unit), department_tables(unit))

            data, _ = cached_file(booklet_key(unit_year_stamp(unit).key, "pdf"), render)
            archive.writestr(entry_name(f"{unit.department.code}{unit.title}"), data)
            progress(done, len(units))
    return out.getvalue()
