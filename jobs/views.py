"""A job's page with its progress bar, its progress as JSON for the bar, its file, and the
request for every unit's booklets of a year."""

from django.contrib import messages
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, quote_etag
from django.views.decorators.http import require_GET, require_POST

from departments.access import departments_for_user
from jobs.models import Job, Kind, State
from jobs.queue import file_ready, recover
from jobs.services import is_current, job_for, year_zip_stamp
from perfbudget.lib.downloads import CACHE_CONTROL, CONTENT_TYPES, browser_has, not_modified
from perfbudget.lib.numbers import number_or_none

NOT_FOUND = "没有找到该任务"
# Where a unit's file is asked for again (a booklet's: unit_year:booklet_<extension>).
AGAIN = {Kind.DATA_XLSX: "unit_year:data"}
NO_UNITS = "该年度没有可下载的绩效目标。"
FILE_GONE = "此文件已过保留期限被清理，请点“重新生成”。"


def get_job(user, token) -> Job:
    """The job, or 404: a year's zip is its requester's alone, a unit's booklet or data
    workbook job belongs to those who may read the unit. The answer is the same for a job that
    does not exist."""
    job = Job.objects.select_related("department").filter(token=token).first()
    if job is None:
        raise Http404(NOT_FOUND)
    if job.kind == Kind.IMPORT:
        allowed = job.requested_by_id == user.pk  # it writes what its requester may write
    elif job.kind == Kind.YEAR_ZIP:
        # Its requester's alone, and only while every unit in it is still theirs to read.
        readable = set(departments_for_user(user).values_list("pk", flat=True))
        allowed = job.requested_by_id == user.pk and set(job.units) <= readable
    else:
        allowed = departments_for_user(user).filter(pk=job.department_id).exists()
    if not allowed:
        raise Http404(NOT_FOUND)
    return recover(job)


# An import's steps, as its page names them while it runs.
IMPORT_STEPS = ("正在检查文件", "检查通过，正在写入")


def _status(job: Job) -> dict:
    label = job.get_state_display()
    if not job.makes_file and job.state == State.RUNNING:
        label = IMPORT_STEPS[min(job.done, 1)]
    has_file = job.state == State.DONE and job.makes_file
    return {
        "state": job.state,
        "state_label": label,
        "done": job.done,
        "total": job.total if job.makes_file else 0,  # an import's steps: no count shown
        "percent": job.percent,
        "error": job.error,
        "file": reverse("jobs:file", args=[job.token]) if has_file else "",
    }


@require_GET
def job_detail(request: HttpRequest, token) -> HttpResponse:
    job = get_job(request.user, token)
    back = reverse("home")
    again = None  # where the same file is asked for again, as it is now
    if not job.makes_file:
        back = again = reverse("projects:import")
    elif job.department_id:
        back = reverse("unit_year:detail", args=[job.department.code, job.year])
        again = reverse(
            AGAIN.get(job.kind, f"unit_year:booklet_{job.extension}"),
            args=[job.department.code, job.year],
        )
    drawn = job.state == State.DONE and job.makes_file
    gone = drawn and not file_ready(job)  # cleared after JOB_KEEP_DAYS
    context = {
        "job": job,
        "status": _status(job),
        "back": back,
        "again": again,
        "gone": gone,
        "outdated": drawn and not gone and not is_current(job, request.user),
    }
    return render(request, "jobs/job.html", context)


@require_GET
def job_status(request: HttpRequest, token) -> JsonResponse:
    return JsonResponse(_status(get_job(request.user, token)))


@require_GET
def job_file(request: HttpRequest, token) -> HttpResponse:
    job = get_job(request.user, token)
    if not file_ready(job):
        if job.state == State.DONE and job.makes_file:
            messages.info(request, FILE_GONE)
        return redirect("jobs:detail", job.token)
    return serve_file(request, job)


def to_job_page(job: Job) -> HttpResponse:
    """The job's page, asked for by the click that started it: its file downloads as soon as
    it is ready, even when that is before the page opens (?start=1)."""
    return redirect(reverse("jobs:detail", args=[job.token]) + "?start=1")


def serve_file(request: HttpRequest, job: Job) -> HttpResponse:
    """The job's file, with the ETag of its content (a 304 when the browser has it)."""
    if browser_has(request, job.stamp):
        return not_modified(job.stamp)
    response = FileResponse(
        storages["jobs"].open(job.file, "rb"),
        content_type=CONTENT_TYPES[job.extension],
    )
    inline = request.GET.get("inline") == "1"
    response["Content-Disposition"] = content_disposition_header(not inline, job.filename)
    response["ETag"] = quote_etag(job.stamp)
    response["Cache-Control"] = CACHE_CONTROL
    return response


@require_POST
def year_zip(request: HttpRequest) -> HttpResponse:
    """Every unit's booklet PDF of a year that the user may read, as one zip, by a job."""
    number = number_or_none(request.POST.get("year"))
    units = []
    if number is not None and number == int(number) and 2000 <= number <= 2100:
        year = int(number)
        stamp, units = year_zip_stamp(request.user, year)
    if not units:
        messages.error(request, NO_UNITS)
        return redirect("home")
    job = job_for(
        user=request.user,
        kind=Kind.YEAR_ZIP,
        year=year,
        stamp=stamp,
        filename=f"{year}年部门预算绩效目标（{len(units)}个单位）.zip",
    )
    return to_job_page(job)
