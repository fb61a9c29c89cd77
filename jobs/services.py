"""Asking for a job: one per content, shared by everyone who may see it; an import's job, one
per confirmation."""

import uuid

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone

from departments.models import DepartmentYear
from jobs.imports import seen_to_json
from jobs.models import Job, Kind, State
from jobs.queue import file_ready, prune, start
from jobs.work import year_units
from perfbudget.lib.downloads import fingerprint
from projects.documents.booklet import booklet_key, data_workbook_key
from projects.documents.stamp import unit_year_stamp


def year_zip_stamp(user, year: int) -> tuple[str, list]:
    """What a year's zip for this user would hold now: its stamp and the unit-years."""
    units = list(year_units(user, year))
    return fingerprint("year.zip", *(unit_year_stamp(u).key for u in units)), units


def is_current(job: Job, user) -> bool:
    """Whether the job's file still shows what its unit (or the user's units) hold now."""
    if job.kind == Kind.YEAR_ZIP:
        return year_zip_stamp(user, job.year)[0] == job.stamp
    department_year = DepartmentYear.objects.filter(
        department_id=job.department_id, year=job.year
    ).first()
    if department_year is None:
        return False
    stamp = unit_year_stamp(department_year).key
    if job.kind == Kind.DATA_XLSX:
        return data_workbook_key(stamp, department_year.version) == job.stamp
    return booklet_key(stamp, job.extension) == job.stamp


def job_for(*, user, kind: str, department_year=None, year: int, stamp: str, filename: str) -> Job:
    """The job drawing this content: the one already done or under way, or a new one.

    A unit's booklet or data workbook job serves everyone who may read the unit; a year's zip
    only its requester (what it holds depends on who asked). Two requests at once wait for each
    other on the unit-year's row (or the requester's) and find one job."""
    department = department_year.department if department_year else None
    with transaction.atomic():
        if department_year is not None:
            DepartmentYear.objects.select_for_update().filter(pk=department_year.pk).first()
        else:
            get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        jobs = Job.objects.filter(kind=kind, department=department, year=year, stamp=stamp)
        if kind == Kind.YEAR_ZIP:
            jobs = jobs.filter(requested_by=user)
        job = jobs.exclude(state=State.FAILED).order_by("-created_at").first()
        if job is not None and (job.state != State.DONE or file_ready(job)):
            return job
        prune()
        job = Job.objects.create(
            kind=kind,
            department=department,
            year=year,
            requested_by=user,
            stamp=stamp,
            filename=filename,
        )
    # Started once the row is committed and the lock released (a job drawn inline must not run
    # inside this transaction: the booklet forks its layout workers only outside one).
    start(job)
    return job


def import_by_job(*, user, data: bytes, year: int | None, seen: tuple, filename: str) -> Job:
    """Keep the workbook and start the job that checks and writes it: the requester's alone."""
    token = uuid.uuid4()
    job = Job.objects.create(
        token=token,
        kind=Kind.IMPORT,
        year=year or timezone.localdate().year,
        requested_by=user,
        stamp=str(token),
        filename=filename[:300],
        upload=storages["jobs"].save(f"imports/{token}.xlsx", ContentFile(data)),
        seen={**seen_to_json(seen), "year": year},
    )
    start(job)
    return job
