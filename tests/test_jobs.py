"""Background jobs: a large unit's booklet and a year's zip are drawn by a job whose page shows
its progress; the file is served to anyone who may read the unit; a job is seen only by them
(a zip only by its requester); a failed job says why; a job whose worker died is run again.

Jobs run inline here (conftest); tests/test_job_workers.py runs them in real workers."""

import io
import zipfile
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_user
from departments.models import DepartmentYear, Role
from indicators.models import Indicator
from jobs import queue, work
from jobs.models import Job, Kind, State
from perfbudget.lib.downloads import RenderTimeout
from projects.documents import xlsx

pytestmark = pytest.mark.django_db

BOOKLET = reverse("unit_year:booklet_xlsx", args=["136001", 2024])


@pytest.fixture(autouse=True)
def _every_booklet_a_job(settings):
    settings.JOB_MIN_TABLES = 1


def _job() -> Job:
    return Job.objects.get()


def _booklet_job(reference, user, **fields) -> Job:
    """A booklet job of the reference unit, as a worker left it."""
    values = {"kind": Kind.BOOKLET_PDF, "stamp": "s", "filename": "a.pdf", **fields}
    return Job.objects.create(
        department=reference.department, year=2024, requested_by=user, **values
    )


def test_a_large_booklet_is_drawn_by_a_job_that_reports_each_table(client, auditor, reference):
    steps = []
    real = work.Progress.__call__

    def record(self, done, total):
        steps.append((done, total))
        real(self, done, total)

    client.force_login(auditor)
    with mock.patch.object(work.Progress, "__call__", record):
        response = client.get(BOOKLET)
    job = _job()
    assert steps == [(n, 5) for n in range(1, 6)]
    assert (job.kind, job.state, job.done, job.total, job.attempts) == (
        Kind.BOOKLET_XLSX,
        State.DONE,
        5,
        5,
        1,
    )
    # Done within the request (inline): the file itself, with its content's ETag.
    assert response.status_code == 200
    assert response["ETag"].strip('"') == job.stamp
    assert b"".join(response.streaming_content)[:2] == b"PK"
    page = client.get(reverse("jobs:detail", args=[job.token])).content.decode()
    assert "已完成" in page and 'value="100"' in page and "下载" in page
    status = client.get(reverse("jobs:status", args=[job.token])).json()
    assert status["state"] == "done" and status["percent"] == 100
    assert status["file"] == reverse("jobs:file", args=[job.token])


def test_a_job_under_way_shows_its_progress(client, auditor, reference):
    job = _booklet_job(reference, auditor, state=State.RUNNING, done=3, total=8)
    client.force_login(auditor)
    page = client.get(reverse("jobs:detail", args=[job.token])).content.decode()
    assert "正在生成：已完成 3 / 8" in page and 'value="37"' in page
    assert client.get(reverse("jobs:status", args=[job.token])).json()["percent"] == 37
    # Its file is not offered until it is ready.
    assert client.get(reverse("jobs:file", args=[job.token])).status_code == 302


def test_the_finished_file_serves_everyone_of_the_unit_without_drawing_again(
    client, auditor, finance, reference
):
    client.force_login(auditor)
    first = client.get(BOOKLET)
    client.force_login(finance)
    with mock.patch.object(xlsx, "booklet_workbook") as draw:
        again = client.get(BOOKLET)
        revalidated = client.get(BOOKLET, headers={"if-none-match": first["ETag"]})
    draw.assert_not_called()
    assert Job.objects.count() == 1
    assert b"".join(again.streaming_content) == b"".join(first.streaming_content)
    assert revalidated.status_code == 304


def test_a_change_makes_a_new_job(client, auditor, reference):
    client.force_login(auditor)
    client.get(BOOKLET)
    indicator = Indicator.objects.filter(project__department=reference.department).first()
    indicator.value_text = "≥9个"
    indicator.save()
    client.get(BOOKLET)
    assert Job.objects.count() == 2 and len(set(Job.objects.values_list("stamp", flat=True))) == 2


def test_another_units_user_sees_no_job_and_no_file(client, auditor, outsider, reference):
    client.force_login(auditor)
    client.get(BOOKLET)
    job = _job()
    client.force_login(outsider)
    for name in ("detail", "status", "file"):
        response = client.get(reverse(f"jobs:{name}", args=[job.token]))
        assert response.status_code == 404
        assert "136001" not in response.content.decode()
        assert reference.department.name not in response.content.decode()


def test_a_failed_job_says_why_and_the_next_click_starts_again(client, auditor, reference):
    client.force_login(auditor)
    with mock.patch.object(xlsx, "booklet_workbook", side_effect=ValueError("boom")):
        failed = client.get(BOOKLET)
    job = _job()
    assert failed.status_code == 302
    assert failed["Location"] == reverse("jobs:detail", args=[job.token]) + "?start=1"
    assert job.state == State.FAILED and job.error == work.BROKEN and not job.file
    page = client.get(failed["Location"]).content.decode()
    assert "未能完成" in page and work.BROKEN in page and "boom" not in page
    response = client.get(BOOKLET)
    assert response.status_code == 200
    assert list(Job.objects.values_list("state", flat=True)) == [State.DONE, State.FAILED]


def test_a_job_that_takes_too_long_says_so(client, auditor, reference):
    client.force_login(auditor)
    with mock.patch.object(xlsx, "booklet_workbook", side_effect=RenderTimeout(100)):
        client.get(BOOKLET)
    assert _job().error == work.TIMED_OUT


def _zip_names(client, job) -> list[str]:
    response = client.get(reverse("jobs:file", args=[job.token]))
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        return archive.namelist()


def test_a_years_zip_holds_every_readable_unit_and_belongs_to_its_requester(
    client, auditor, reference, other_unit, outsider
):
    DepartmentYear.objects.create(department=other_unit, year=2024, overall_target="另一单位")
    third = type(other_unit).objects.create(code="999002", name="第三个单位")
    DepartmentYear.objects.create(department=third, year=2024)
    from departments.models import Membership

    Membership.objects.create(user=auditor, department=other_unit, role=Role.AUDITOR)
    client.force_login(auditor)
    response = client.post(reverse("jobs:year_zip"), {"year": "2024"})
    job = Job.objects.get(kind=Kind.YEAR_ZIP)
    assert response["Location"] == reverse("jobs:detail", args=[job.token]) + "?start=1"
    assert (job.state, job.done, job.total) == (State.DONE, 2, 2)
    assert _zip_names(client, job) == [
        f"136001{reference.title}.pdf",
        "999001另一个单位2024年部门预算绩效目标.pdf",
    ]
    # Another member of the same unit does not see this user's zip.
    colleague = make_user("colleague", reference.department, Role.AUDITOR)
    client.force_login(colleague)
    assert client.get(reverse("jobs:detail", args=[job.token])).status_code == 404
    client.force_login(outsider)
    assert client.get(reverse("jobs:file", args=[job.token])).status_code == 404


@pytest.mark.parametrize("year", ["", "abc", "2024.5", "1999", "99999999999999999999", "2030"])
def test_a_zip_of_a_year_without_units_is_refused(client, auditor, reference, year):
    client.force_login(auditor)
    response = client.post(reverse("jobs:year_zip"), {"year": year}, follow=True)
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "该年度没有可下载的绩效目标。" in response.content.decode()
    assert not Job.objects.exists()


def test_the_home_page_offers_the_years_zip(client, auditor, reference):
    client.force_login(auditor)
    page = client.get(reverse("home")).content.decode()
    assert reverse("jobs:year_zip") in page and '<option value="2024">2024年</option>' in page


def _stale_job(auditor, reference, attempts=1) -> Job:
    job = _booklet_job(reference, auditor, state=State.RUNNING, attempts=attempts)
    Job.objects.filter(pk=job.pk).update(beat_at=timezone.now() - timedelta(hours=1))
    job.refresh_from_db()
    return job


def test_a_thread_job_whose_process_died_is_started_again_once(settings, auditor, reference):
    settings.JOB_BACKEND = "thread"
    job = _stale_job(auditor, reference)
    twin = Job.objects.get(pk=job.pk)  # a second request that read the same stale job
    with mock.patch.object(queue, "_send") as send:
        assert queue.recover(job).state == State.QUEUED
        queue.recover(twin)
    send.assert_called_once_with(job.pk)


def test_a_thread_job_that_died_too_often_fails_with_its_reason(settings, auditor, reference):
    settings.JOB_BACKEND = "thread"
    job = _stale_job(auditor, reference, attempts=settings.JOB_RETRIES + 1)
    with mock.patch.object(queue, "_send") as send:
        assert queue.recover(job).error == queue.STOPPED
    send.assert_not_called()


def test_a_job_already_done_is_not_run_again(auditor, reference):
    job = _booklet_job(reference, auditor, kind=Kind.BOOKLET_XLSX, state=State.DONE, file="x")
    with mock.patch.object(xlsx, "booklet_workbook") as draw:
        work.run(job.pk)
    draw.assert_not_called()


def test_old_jobs_and_their_files_are_forgotten(client, auditor, reference, settings):
    from django.core.files.storage import storages

    client.force_login(auditor)
    client.get(BOOKLET)
    old = _job()
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    assert storages["jobs"].exists(old.file)
    queue.prune()
    assert not Job.objects.filter(pk=old.pk).exists() and not storages["jobs"].exists(old.file)


def test_a_years_zip_is_no_longer_served_once_a_unit_in_it_is_not_the_users(
    client, auditor, reference, other_unit
):
    from departments.models import Membership

    DepartmentYear.objects.create(department=other_unit, year=2024)
    membership = Membership.objects.create(user=auditor, department=other_unit, role=Role.AUDITOR)
    client.force_login(auditor)
    client.post(reverse("jobs:year_zip"), {"year": "2024"})
    job = Job.objects.get(kind=Kind.YEAR_ZIP)
    assert set(job.units) == {reference.department_id, other_unit.pk}
    assert client.get(reverse("jobs:file", args=[job.token])).status_code == 200
    membership.delete()
    for name in ("detail", "status", "file"):
        assert client.get(reverse(f"jobs:{name}", args=[job.token])).status_code == 404


def test_a_zip_whose_units_are_gone_when_it_runs_fails_with_its_reason(auditor, reference):
    job = Job.objects.create(
        kind=Kind.YEAR_ZIP, year=2030, requested_by=auditor, stamp="s", filename="a.zip"
    )
    work.run(job.pk)
    job.refresh_from_db()
    assert (job.state, job.error, job.file) == (State.FAILED, work.NO_UNITS, "")


def test_zip_entries_are_file_names_never_paths():
    assert work.entry_name("999003/../../../tmp/丙") == "999003_.._.._.._tmp_丙.pdf"
    assert work.entry_name('..\\\\甲:乙*丙?"<>|\x07') == "__甲_乙_丙______.pdf"
    assert "/" not in work.entry_name("/etc/passwd") and "\\" not in work.entry_name("a\\b")


def test_an_outdated_file_says_so_and_offers_to_draw_it_again(client, auditor, reference):
    client.force_login(auditor)
    client.get(BOOKLET)
    job = _job()
    page = client.get(reverse("jobs:detail", args=[job.token])).content.decode()
    assert "修改前的内容" not in page
    reference.safeguards += "\n新增"
    reference.save()
    page = client.get(reverse("jobs:detail", args=[job.token])).content.decode()
    assert "该单位的绩效目标在此文件生成后已修改" in page
    assert f'href="{BOOKLET}">重新生成</a>' in page


def test_a_failed_job_offers_to_draw_it_again(client, auditor, reference):
    client.force_login(auditor)
    with mock.patch.object(xlsx, "booklet_workbook", side_effect=ValueError("boom")):
        client.get(BOOKLET)
    page = client.get(reverse("jobs:detail", args=[_job().token])).content.decode()
    assert f'href="{BOOKLET}">重新生成</a>' in page
    assert '<span id="job-again">' in page  # shown, not hidden


def test_a_job_taken_up_again_starts_its_count_afresh(settings, auditor, reference):
    settings.JOB_BACKEND = "thread"
    job = _stale_job(auditor, reference)
    Job.objects.filter(pk=job.pk).update(done=82, total=82)
    job.refresh_from_db()
    with mock.patch.object(queue, "_send"):
        job = queue.recover(job)
    assert (job.state, job.done, job.total) == (State.QUEUED, 0, 0)


@pytest.mark.parametrize("name", ["detail", "status", "file"])
def test_job_addresses_answer_reads_only(client, auditor, reference, name):
    client.force_login(auditor)
    client.get(BOOKLET)
    response = client.post(reverse(f"jobs:{name}", args=[_job().token]))
    assert response.status_code == 405


def test_a_finished_job_whose_file_was_cleared_offers_to_draw_it_again(client, auditor, reference):
    from django.core.files.storage import storages

    client.force_login(auditor)
    client.get(BOOKLET)
    job = _job()
    storages["jobs"].delete(job.file)
    page = client.get(reverse("jobs:detail", args=[job.token])).content.decode()
    assert "此文件已过保留期限被清理" in page
    assert 'id="job-file" href="' in page and "hidden>下载" in page
    assert f'href="{BOOKLET}">重新生成</a>' in page
    answer = client.get(reverse("jobs:file", args=[job.token]), follow=True)
    assert "此文件已过保留期限被清理，请点“重新生成”。" in answer.content.decode()


DATA = reverse("unit_year:data", args=["136001", 2024])


def _cells(data: bytes) -> list:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data))
    return [(ws.title, list(ws.iter_rows(values_only=True))) for ws in workbook]


def test_a_large_units_data_workbook_is_drawn_by_a_job_like_the_immediate_one(
    client, auditor, reference, settings
):
    client.force_login(auditor)
    response = client.get(DATA)
    job = _job()
    assert (job.kind, job.state, job.extension) == (Kind.DATA_XLSX, State.DONE, "xlsx")
    assert response.status_code == 200 and response["ETag"].strip('"') == job.stamp
    assert "%E6%95%B0%E6%8D%AE%E5%B7%A5%E4%BD%9C%E7%B0%BF" in response["Content-Disposition"]
    by_job = b"".join(response.streaming_content)
    page = client.get(reverse("jobs:detail", args=[job.token])).content.decode()
    assert "数据工作簿" in page and reverse("unit_year:data", args=["136001", 2024]) in page
    settings.JOB_MIN_TABLES = 1000  # a small unit: drawn in the request
    immediate = client.get(DATA)
    assert Job.objects.count() == 1
    assert _cells(by_job) == _cells(immediate.content)


def test_a_data_workbook_job_follows_the_unit_years_version(client, auditor, reference):
    """The data workbook shows the unit-year's version (an import checks a file against it),
    which an import bumps without a history row: the file is drawn again."""
    client.force_login(auditor)
    client.get(DATA)
    first = _job()
    DepartmentYear.objects.filter(pk=reference.pk).update(version=reference.version + 5)
    page = client.get(reverse("jobs:detail", args=[first.token])).content.decode()
    assert "job-outdated" in page
    client.get(DATA)
    assert Job.objects.count() == 2


def test_another_units_user_sees_no_data_workbook_job(client, auditor, outsider, reference):
    client.force_login(auditor)
    client.get(DATA)
    job = _job()
    client.force_login(outsider)
    assert client.get(DATA).status_code == 404
    for name in ("detail", "status", "file"):
        assert client.get(reverse(f"jobs:{name}", args=[job.token])).status_code == 404
