"""A large import is confirmed by a background job: the confirmation keeps the file and shows
the job's page; the worker checks the file again and writes it in one transaction with the
job's outcome; the job and its outcome are its requester's alone; a rejected or broken import
says why and writes nothing; a worker that dies on the way leaves nothing written and the
retry writes it once.

Jobs run inline here (conftest)."""

import io
from unittest import mock

import pytest
from django.core.files.storage import storages
from django.urls import reverse
from openpyxl import load_workbook

from departments.models import DepartmentYear
from jobs import imports, work
from jobs.models import Job, Kind, State
from projects.documents.data_workbook import data_workbook
from projects.models import Project

pytestmark = pytest.mark.django_db
URL = reverse("projects:import")
CODE = "13081123P000182100018"


@pytest.fixture(autouse=True)
def _every_import_a_job(settings):
    settings.JOB_MIN_TABLES = 1


def _edited(**cells) -> bytes:
    department_year = DepartmentYear.objects.with_part_one(2024).get(department__code="136001")
    wb = load_workbook(io.BytesIO(data_workbook(department_year)))
    for ref, value in cells.items():
        wb["项目"][ref] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _preview(client, data: bytes) -> str:
    upload = io.BytesIO(data)
    upload.name = "全部项目.xlsx"
    response = client.post(URL, {"file": upload})
    assert "检查通过" in response.content.decode()
    return response.context["token"]


def _fund_use() -> str:
    return Project.objects.get(code=CODE).fund_use


def test_a_large_import_is_confirmed_by_a_job_whose_page_shows_the_outcome(client, finance):
    client.force_login(finance)
    token = _preview(client, _edited(K2="新的资金用途"))
    assert _fund_use() == "签订协议、按时播放高新区新闻"  # the preview wrote nothing
    response = client.post(URL, {"token": token})
    job = Job.objects.get()
    assert (job.kind, job.state, job.requested_by) == (Kind.IMPORT, State.DONE, finance)
    assert response.status_code == 302
    assert response.url == reverse("jobs:detail", args=[job.token])
    assert _fund_use() == "新的资金用途"
    page = client.get(response.url).content.decode()
    assert "导入“全部项目.xlsx”" in page and "导入完成：" in page and "查看预算项目" in page
    assert "下载" not in page and "重新生成" not in page
    status = client.get(reverse("jobs:status", args=[job.token])).json()
    assert (status["state"], status["file"], status["percent"]) == ("done", "", 100)
    # No file to download; the kept workbook is gone once the job ended.
    assert client.get(reverse("jobs:file", args=[job.token])).status_code == 302
    assert not storages["jobs"].exists(job.upload)
    # The confirmation cannot be sent twice.
    again = client.post(URL, {"token": token}, follow=True)
    assert "已过期" in again.content.decode() and Job.objects.count() == 1


def test_an_import_job_is_its_requesters_alone(client, finance, reference, settings):
    from conftest import make_user
    from departments.models import Role

    client.force_login(finance)
    client.post(URL, {"token": _preview(client, _edited(K2="新的资金用途"))})
    job = Job.objects.get()
    colleague = make_user("finance2", reference.department, Role.FINANCE)
    client.force_login(colleague)
    for name in ("detail", "status", "file"):
        response = client.get(reverse(f"jobs:{name}", args=[job.token]))
        assert response.status_code == 404
        assert "全部项目" not in response.content.decode()


def test_an_import_changed_since_its_preview_fails_with_the_reason_and_writes_nothing(
    client, finance
):
    client.force_login(finance)
    token = _preview(client, _edited(K2="导入的资金用途"))
    project = Project.objects.get(code=CODE)
    project.fund_use = "预览之后另有人修改"
    project.version += 1
    project.save()
    response = client.post(URL, {"token": token}, follow=True)
    job = Job.objects.get()
    assert job.state == State.FAILED and CODE in job.error and "已被修改" in job.error
    assert job.error.startswith("文件有 1 处问题，未导入任何数据：\n")
    page = response.content.decode()
    assert "未能完成" in page and "重新上传" in page
    assert _fund_use() == "预览之后另有人修改"
    assert not storages["jobs"].exists(job.upload)


def test_an_import_job_that_breaks_says_so_and_writes_nothing(client, finance):
    client.force_login(finance)
    token = _preview(client, _edited(K2="不会写入"))
    with mock.patch.object(imports, "import_apply", side_effect=RuntimeError("boom")):
        client.post(URL, {"token": token})
    job = Job.objects.get()
    assert job.state == State.FAILED and job.error == imports.IMPORT_BROKEN
    assert _fund_use() == "签订协议、按时播放高新区新闻"


class _Killed(BaseException):
    """A worker process dying mid-write (nothing in the job catches it)."""


def test_a_worker_dying_mid_import_leaves_nothing_written_and_the_retry_writes_once(
    client, finance, settings
):
    client.force_login(finance)
    token = _preview(client, _edited(K2="重试后写入"))
    real_apply = imports.import_apply

    def dies_after_writing(plan, user=None):
        real_apply(plan, user=user)  # every row written …
        raise _Killed  # … and the process dies before the transaction commits

    with mock.patch.object(imports, "import_apply", dies_after_writing):
        with pytest.raises(_Killed):
            client.post(URL, {"token": token})
    job = Job.objects.get()
    assert job.state == State.RUNNING and job.attempts == 1
    assert _fund_use() == "签订协议、按时播放高新区新闻"
    history = Project.history.filter(code=CODE).count()
    work.run(job.pk)  # the queue runs it again
    job.refresh_from_db()
    assert (job.state, job.attempts) == (State.DONE, 2), job.error
    assert _fund_use() == "重试后写入"
    assert Project.history.filter(code=CODE).count() == history + 1
    work.run(job.pk)  # a late duplicate delivery finds it done and writes nothing
    assert Project.history.filter(code=CODE).count() == history + 1


def test_a_small_import_is_still_written_in_the_request(client, finance, settings):
    settings.JOB_MIN_TABLES = 30
    client.force_login(finance)
    response = client.post(URL, {"token": _preview(client, _edited(K2="立即写入"))})
    assert response.url == reverse("projects:list") and not Job.objects.exists()
    assert _fund_use() == "立即写入"
