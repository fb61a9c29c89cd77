"""Two requests at once, for real: threads send HTTP requests to the live server, which serves
each on its own thread and database connection. On PostgreSQL (the CI's second pass) the rows
are really locked; SQLite serialises writers and proves little, so these run on PostgreSQL only.

Each round starts both requests together at a barrier; whichever lands first, the rules hold:
a submission that succeeded is never undone by an editor page opened before it."""

import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.utils.crypto import get_random_string

from departments.models import DepartmentYear
from perfbudget.lib.grades import Status
from projects.models import Project
from tests.sound import make_sound
from tests.test_department_editor import _post_data as _unit_post_data
from tests.test_editor import _post_data, _rows

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.slow,  # real servers and connections
]
CODE = "13081123P000182100018"
ROUNDS = 15


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; the suite's PostgreSQL pass runs this")


class Browser:
    """A logged-in user's session and CSRF token, as cookies on plain HTTP requests."""

    def __init__(self, base: str, user):
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        self.base, self.csrf = base, get_random_string(32)
        self.cookie = f"sessionid={session.session_key}; csrftoken={self.csrf}"

    def _send(self, path: str, data: dict):
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")
        request.add_header("Cookie", self.cookie)
        request.add_header("X-CSRFToken", self.csrf)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            return opener.open(request, timeout=30)
        except urllib.error.HTTPError as answer:
            return answer

    def post(self, path: str, data: dict) -> int:
        return self._send(path, data).status

    def post_page(self, path: str, data: dict) -> str:
        return self._send(path, data).read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _together(*calls) -> list:
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    connection.close()  # this thread's reads must see the others' commits
    return results


def _submissions(model, pk) -> int:
    return model.history.filter(id=pk, history_change_reason__startswith="提交").count()


def test_an_editor_save_racing_a_submission_never_undoes_it(live_server, reference, finance):
    make_sound(CODE)  # a target that can be submitted, or no submission would ever land
    clerk = Browser(live_server.url, finance)
    edit, submit = f"/projects/2024/{CODE}/edit/", f"/projects/2024/{CODE}/submit/"
    outcomes = set()
    for n in range(ROUNDS):
        project = Project.objects.get(code=CODE)
        page = _post_data(project, _rows(project), fund_use=f"第{n}轮的用途")
        submitted = _submissions(Project, project.pk)
        saved, _ = _together(lambda p=page: clerk.post(edit, p), lambda: clerk.post(submit, {}))
        project = Project.objects.get(pk=project.pk)
        if _submissions(Project, project.pk) > submitted:
            assert project.status == Status.SUBMITTED, f"round {n}: the save undid the submission"
        assert saved in (302, 409), saved
        outcomes.add((saved, project.status))
        Project.objects.filter(pk=project.pk).update(
            status=Status.DRAFT, version=project.version + 1
        )
    print("outcomes (save status, final status):", sorted(outcomes))


def test_a_part_one_save_racing_its_submission_never_undoes_it(live_server, reference, finance):
    clerk = Browser(live_server.url, finance)
    edit, submit = "/departments/136001/2024/edit/", "/departments/136001/2024/submit/"
    for n in range(ROUNDS):
        department_year = DepartmentYear.objects.get(year=2024)
        page = _unit_post_data(safeguards=f"第{n}轮的措施")
        submitted = _submissions(DepartmentYear, department_year.pk)
        saved, _ = _together(lambda p=page: clerk.post(edit, p), lambda: clerk.post(submit, {}))
        department_year = DepartmentYear.objects.get(pk=department_year.pk)
        if _submissions(DepartmentYear, department_year.pk) > submitted:
            assert department_year.status == Status.SUBMITTED, f"round {n}"
        assert saved in (302, 409), saved
        DepartmentYear.objects.filter(pk=department_year.pk).update(
            status=Status.DRAFT, version=department_year.version + 1
        )


def test_two_saves_of_one_page_never_both_land(live_server, reference, finance):
    clerk = Browser(live_server.url, finance)
    edit = f"/projects/2024/{CODE}/edit/"
    for n in range(ROUNDS):
        project = Project.objects.get(code=CODE)
        first = _post_data(project, _rows(project), fund_use=f"甲{n}")
        second = _post_data(project, _rows(project), fund_use=f"乙{n}")
        answers = _together(
            lambda a=first: clerk.post(edit, a), lambda b=second: clerk.post(edit, b)
        )
        assert sorted(answers) == [302, 409], answers
        landed = Project.objects.get(pk=project.pk).fund_use
        assert landed == (f"甲{n}" if answers[0] == 302 else f"乙{n}")


def test_an_approval_landing_between_an_imports_check_and_its_write_is_not_overwritten(
    live_server, reference, finance, chief, monkeypatch
):
    """The import confirmation checks the file, then writes. A submission and an approval sent
    by real requests land exactly in between (the write is held until they are answered): the
    write re-checks under a row lock and refuses, and the approved project keeps its content."""
    import io

    make_sound(CODE)
    from openpyxl import load_workbook

    from projects.documents.data_workbook import data_workbook
    from projects.views import imports as views

    wb = load_workbook(io.BytesIO(data_workbook(DepartmentYear.objects.get(year=2024))))
    wb["项目"]["K2"] = "导入的用途"
    upload = io.BytesIO()
    wb.save(upload)
    upload.seek(0)
    upload.name = "t.xlsx"
    clerk, reviewer = Browser(live_server.url, finance), Browser(live_server.url, chief)
    from django.test import Client

    page = Client()
    page.force_login(finance)
    token = page.post("/projects/import/", {"file": upload}).context["token"]
    real_apply = views.import_apply

    def apply_after_an_approval(plan, **kwargs):
        assert clerk.post(f"/projects/2024/{CODE}/submit/", {}) == 302
        assert reviewer.post(f"/projects/2024/{CODE}/review/", {"grade": "优"}) == 302
        return real_apply(plan, **kwargs)

    monkeypatch.setattr(views, "import_apply", apply_after_an_approval)
    html = Browser(live_server.url, finance).post_page("/projects/import/", {"token": token})
    project = Project.objects.get(code=CODE)
    assert project.status == Status.APPROVED
    assert project.fund_use != "导入的用途"
    assert "在预览（检查）之后已被修改" in html


def test_two_first_self_evaluation_saves_never_both_land_nor_fail(live_server, reference, finance):
    # Two tabs opened before any self-evaluation existed, saved at once: one lands, the other
    # is refused as stale (status 200, the page again), neither is a server error.
    from indicators.models import SelfEvaluation
    from tests.test_evaluation import CODE as EVALUATED
    from tests.test_evaluation import _form

    clerk = Browser(live_server.url, finance)
    url = f"/projects/2024/{EVALUATED}/evaluation/"
    for n in range(ROUNDS):
        SelfEvaluation.objects.filter(project__code=EVALUATED).delete()
        first = _form(evaluation_version="", outcome=f"甲{n}")
        second = _form(evaluation_version="", outcome=f"乙{n}")
        answers = _together(lambda a=first: clerk.post(url, a), lambda b=second: clerk.post(url, b))
        assert sorted(answers) == [200, 302], answers
        landed = SelfEvaluation.objects.get(project__code=EVALUATED).outcome
        assert landed == (f"甲{n}" if answers[0] == 302 else f"乙{n}")


def test_two_booklet_requests_at_once_start_one_job(live_server, reference, auditor, settings):
    # Two tabs (or two colleagues) asking for a large unit's booklet at the same moment: they
    # wait for each other on the unit-year's row and share one job.
    from jobs.models import Job

    settings.JOB_MIN_TABLES, settings.JOB_BACKEND = 1, "inline"
    user = Browser(live_server.url, auditor)
    path = "/departments/136001/2024/booklet.xlsx"

    def get():
        request = urllib.request.Request(live_server.url + path)
        request.add_header("Cookie", user.cookie)
        try:
            return urllib.request.build_opener(NoRedirect).open(request, timeout=60).status
        except urllib.error.HTTPError as answer:
            return answer.code

    for _ in range(5):
        Job.objects.all().delete()
        statuses = _together(get, get)
        assert set(statuses) <= {200, 302}, statuses
        assert Job.objects.count() == 1


@pytest.mark.parametrize("large", [False, True], ids=["in the request", "by a job"])
def test_one_preview_confirmed_twice_at_once_is_imported_once(
    live_server, reference, finance, settings, large
):
    """Two tabs (or a double click) confirming one preview at the same moment: one takes it,
    the other is told the upload is gone; one import, one job at most."""
    import io

    from django.test import Client
    from openpyxl import load_workbook

    from jobs.models import Job
    from projects.documents.data_workbook import data_workbook

    settings.JOB_MIN_TABLES, settings.JOB_BACKEND = (1 if large else 1000), "inline"
    page, clerk = Client(), Browser(live_server.url, finance)
    page.force_login(finance)
    for n in range(5):
        wb = load_workbook(io.BytesIO(data_workbook(DepartmentYear.objects.get(year=2024))))
        wb["项目"]["K2"] = f"第{n}次导入的用途"
        upload = io.BytesIO()
        wb.save(upload)
        upload.seek(0)
        upload.name = "t.xlsx"
        token = page.post("/projects/import/", {"file": upload}).context["token"]
        imports = Project.history.filter(code=CODE).count()
        jobs = Job.objects.count()
        answers = _together(
            lambda t=token: clerk._send("/projects/import/", {"token": t}),
            lambda t=token: clerk._send("/projects/import/", {"token": t}),
        )
        places = [(answer.status, answer.headers.get("Location")) for answer in answers]
        # One is told the upload is gone; the other imports (the list, or the job's page).
        assert sorted(places).count((302, "/projects/import/")) == 1, places
        assert all(status == 302 for status, _ in places), places
        assert Project.history.filter(code=CODE).count() == imports + 1
        assert Job.objects.count() == jobs + (1 if large else 0)
        assert Project.objects.get(code=CODE).fund_use == f"第{n}次导入的用途"
