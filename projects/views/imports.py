"""Importing workbooks: upload, check, preview (changes and findings), confirm."""

import secrets

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from departments.access import (
    writable_departments,
)
from jobs.imports import IMPORT_DONE
from jobs.services import import_by_job
from projects.forms import ImportUploadForm
from projects.importer import ImportRejected, contract, import_apply, import_prepare
from projects.importer.findings import plan_findings

# The limits the upload page states (projects/importer/contract.py).
LIMITS = {
    "megabytes": contract.MAX_FILE_BYTES // 2**20,
    "rows": contract.MAX_ROWS,
    "indicator_rows": contract.SHEET_ROWS[contract.INDICATOR_SHEET],
    "columns": contract.MAX_COLUMNS,
    "cells": contract.MAX_CELLS,
}
IMPORT_EXPIRED = "上传的文件已过期或不存在，请重新上传。"


def _upload_key(request: HttpRequest) -> str:
    # One pending upload per user: a new upload replaces the last, so no one can fill the
    # cache with files by uploading again and again.
    return f"import-upload:{request.user.pk}"


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a workbook, see every problem or what would change, then confirm. The file is
    checked again on confirmation: nothing is written from a stale preview."""
    if not writable_departments(request.user).exists():
        raise PermissionDenied("只有财务人员和管理员可以导入")
    context: dict = {}
    if request.method == "POST" and "token" in request.POST:
        return _import_confirm(request)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            data, year = form.cleaned_data["file"].read(), form.cleaned_data["year"]
            try:
                plan = import_prepare(data, user=request.user, default_year=year)
            except ImportRejected as rejected:
                context["problems"] = rejected.problems
            else:
                token = secrets.token_urlsafe(16)
                seen = (plan.versions, plan.unit_versions)
                name = form.cleaned_data["file"].name
                # A large import is checked again and written by a background job.
                large = len(plan.projects) >= settings.JOB_MIN_TABLES
                pending = (token, data, year, seen, name, large)
                cache.set(_upload_key(request), pending, timeout=3600)
                context.update(
                    plan=plan,
                    token=token,
                    filename=name,
                    plan_findings=plan_findings(plan),
                )
    return _page(request, context)


def _import_confirm(request: HttpRequest) -> HttpResponse:
    """A preview is confirmed once: the first confirmation takes it out of the cache (one
    atomic delete), so two at once (two tabs, a double click) import it once."""
    key = _upload_key(request)
    stored = cache.get(key)
    if (
        stored is None
        or not secrets.compare_digest(stored[0].encode(), request.POST["token"].encode())
        or not cache.delete(key)
    ):
        messages.error(request, IMPORT_EXPIRED)
        return redirect("projects:import")
    _, data, year, seen, name, large = stored
    if large:
        job = import_by_job(user=request.user, data=data, year=year, seen=seen, filename=name)
        return redirect("jobs:detail", job.token)
    try:
        plan = import_prepare(data, user=request.user, default_year=year, seen=seen)
        import_apply(plan, user=request.user)
    except ImportRejected as rejected:
        return _page(request, {"problems": rejected.problems})
    messages.success(request, IMPORT_DONE.format(outcome=plan.outcome))
    return redirect("projects:list")


def _page(request: HttpRequest, context: dict) -> HttpResponse:
    """The upload page: its form and the limits it states, with what else there is to show."""
    return render(
        request, "projects/import.html", {"form": ImportUploadForm(), "limits": LIMITS, **context}
    )
