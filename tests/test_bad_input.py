"""Bad input: every form and the importer get random and hostile text (HTML, scripts, URLs,
formulas, huge strings, odd Unicode, NUL). The property each time: no 500; the input is either
refused with a message and nothing is stored, or stored exactly as typed and shown escaped
(the page still holds no script, style or event handler that the CSP would refuse).

The examples per test come from the Hypothesis profile: `ci` (default, few and repeatable) or
`full` (HYPOTHESIS_PROFILE=full, many and random), see conftest.py.
"""

import io
import re
import zipfile
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from departments.models import DepartmentYear, SectionIndicator, SectionRating
from departments.views import RATINGS_SAVED, RATINGS_UNCHANGED
from indicators.models import Indicator, IndicatorResult, SelfEvaluation
from perfbudget.lib.numbers import NotANumber, read_number
from projects.documents.booklet import department_tables
from projects.documents.data_workbook import data_workbook
from projects.documents.xlsx import table_workbook
from projects.importer import ImportRejected, import_apply, import_prepare
from projects.models import Project
from projects.views.evaluation import EVALUATION_SAVED
from projects.views.monitoring import MONITORING_SAVED
from tests.sound import make_sound
from tests.test_department_editor import _post_data as _department_data
from tests.test_editor import _post_data as _project_data
from tests.test_editor import _rows
from tests.test_import import _department_year
from tests.test_production import _InlineCode

pytestmark = pytest.mark.django_db
CODE = "13081123P000182100018"

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<style>body{display:none}</style>",
    "javascript:alert(document.cookie)",
    "http://evil.example/steal?c=",
    '=HYPERLINK("http://evil.example","点我")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "@SUM(A1:A9)",
    "{{ request.user }}{% now 'Y' %}",
    "%(name)s %s {0}",
    "'; DROP TABLE projects_project; --",
    "../../../etc/passwd",
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",
    "\u200b\u200d\ufeff",
    "𠀀𪚥𰻞",
    "é" + "\u0301" * 50,
    "\t\r\n",
    "　全角空格　",
    "１２３．５",
    "NaN",
    "Infinity",
    "-0",
    "1e309",
    "9" * 40,
    "A" * 100_000,
]
TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=200),
    st.tuples(st.sampled_from(HOSTILE), st.text(max_size=20)).map("".join),
)
FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _answered(response) -> str:
    """The response is not a server error, and its page holds nothing a CSP would refuse."""
    assert response.status_code < 500, response.status_code
    if not response.get("Content-Type", "").startswith("text/html"):
        return ""
    text = response.content.decode()
    parser = _InlineCode()
    parser.feed(text)
    assert parser.found == []
    return text


def _refused(page: str) -> bool:
    """The page names what is wrong: the banner, a message at a field, or a page of its own
    (a submission over the size limits)."""
    marks = (
        "message-error",
        "alert-error",
        "errorlist",
        'class="error"',
        "未导入任何数据",
        "含有空字符",
        'class="error-page"',
    )
    return any(mark in page for mark in marks)


def _stored(typed: str) -> str:
    """What a text field keeps of what was typed: Django strips the ends and turns \\r\\n into
    \\n."""
    return typed.replace("\r\n", "\n").strip()


@contextmanager
def _rolled_back():
    """Each example starts from the reference data: what it wrote is rolled back."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _client(user) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


def _project_state():
    project = Project.objects.get(code=CODE)
    names = list(project.indicators.order_by("pk").values_list("name", "value_text", "basis"))
    return project.version, project.name, project.fund_use, project.target, names


@FUZZ
@given(name=TEXT, fund_use=TEXT, target=TEXT, row_name=TEXT, row_text=TEXT, number=TEXT)
def test_project_editor(finance, name, fund_use, target, row_name, row_text, number):
    with _rolled_back():
        before = _project_state()
        project = Project.objects.get(code=CODE)
        rows = _rows(project)
        rows[0].update(name=row_name, text=row_text)
        rows[1].update(operator="≥", number=number, unit="%", text="")
        data = _project_data(project, rows, name=name, fund_use=fund_use, target=target)
        response = _client(finance).post(reverse("projects:edit", args=[2024, CODE]), data)
        _answered(response)
        if response.status_code == 302:
            project = Project.objects.get(code=CODE)
            assert (project.name, project.fund_use, project.target) == (
                _stored(name),
                _stored(fund_use),
                _stored(target),
            )
            assert project.indicators.filter(name=_stored(row_name)).exists()
        else:
            assert response.status_code in (200, 400)
            assert _refused(response.content.decode())
            assert _project_state() == before
        # The table page shows whatever was stored, escaped.
        _answered(_client(finance).get(reverse("projects:detail", args=[2024, CODE])))


@FUZZ
@given(code=TEXT, name=TEXT, budget=TEXT)
def test_new_project(finance, code, name, budget):
    with _rolled_back():
        count = Project.objects.count()
        project = Project.objects.get(code=CODE)
        rows = [{**row, "id": ""} for row in _rows(project)]
        data = _project_data(project, rows, code=code, name=name, budget_total=budget, version="")
        response = _client(finance).post(reverse("projects:new"), data)
        _answered(response)
        if response.status_code == 302:
            assert Project.objects.filter(code=_stored(code), name=_stored(name)).exists()
        else:
            assert Project.objects.count() == count


@FUZZ
@given(overall=TEXT, safeguards=TEXT, section=TEXT, duties=TEXT, indicator=TEXT, bound=TEXT)
def test_department_editor(finance, overall, safeguards, section, duties, indicator, bound):
    with _rolled_back():
        before = DepartmentYear.objects.get(year=2024).version
        data = _department_data(
            overall_target=overall,
            safeguards=safeguards,
            **{"sec-0-name": section, "sec-0-duties": duties, "si-0-name": indicator},
            **{"si-0-good_bound": bound},
        )
        url = reverse("unit_year:edit", args=["136001", 2024])
        response = _client(finance).post(url, data)
        _answered(response)
        department_year = DepartmentYear.objects.get(year=2024)
        if response.status_code == 302:
            assert department_year.overall_target == _stored(overall)
            assert department_year.safeguards == _stored(safeguards)
        else:
            assert department_year.version == before
        _answered(_client(finance).get(reverse("unit_year:detail", args=["136001", 2024])))


@FUZZ
@given(grade=st.sampled_from(["优", "良", "中", "差"]) | TEXT, comment=TEXT, reason=TEXT)
def test_review_and_reopen(finance, chief, unit_admin, grade, comment, reason):
    with _rolled_back():
        make_sound(CODE)
        _client(finance).post(reverse("projects:submit", args=[2024, CODE]))
        response = _client(chief).post(
            reverse("projects:review", args=[2024, CODE]),
            {"grade": grade, "comment": comment},
            follow=True,
        )
        page = _answered(response)
        project = Project.objects.get(code=CODE)
        event(f"reviewed: {project.status}")
        if project.status != "submitted":
            assert project.review_grade == grade
            assert project.review_comment == comment.strip()
        else:
            assert _refused(page)
            assert project.review_grade == "" and project.review_comment == ""
        before = project.status
        response = _client(unit_admin).post(
            reverse("projects:reopen", args=[2024, CODE]), {"reason": reason}, follow=True
        )
        page = _answered(response)
        project = Project.objects.get(code=CODE)
        event(f"reopened: {before} → {project.status}")
        if before == "approved" and project.status == "draft":
            latest = project.history.latest("history_date")
            assert latest.history_change_reason == f"重新打开：{_stored(reason)}"
        else:
            assert _refused(page)
            assert project.status == before


def _typed_number(text: str):
    """The number a field would store for what was typed, or None where it must be refused."""
    try:
        return read_number(text.replace("\r\n", "\n"))
    except NotANumber:
        return None


def _rating_state(indicator):
    rating = SectionRating.objects.filter(indicator=indicator).first()
    if rating is None:
        return None
    return rating.actual_value, rating.manual_grade, rating.manual_reason, rating.comment


@FUZZ
@given(
    value=st.sampled_from(["95", "85.5", "0", "100"]) | TEXT,
    grade=st.sampled_from(["", "优", "良", "中", "差"]) | TEXT,
    reason=TEXT,
    comment=TEXT,
)
def test_section_ratings(chief, value, grade, reason, comment):
    with _rolled_back():
        indicator = SectionIndicator.objects.filter(year=2024).order_by("pk").first()
        before = _rating_state(indicator)
        response = _client(chief).post(
            reverse("unit_year:ratings", args=["136001", 2024]),
            {
                f"r-{indicator.pk}-actual_value": value,
                f"r-{indicator.pk}-manual_grade": grade,
                f"r-{indicator.pk}-reason": reason,
                f"r-{indicator.pk}-comment": comment,
            },
            follow=True,
        )
        page = _answered(response)
        saved = RATINGS_SAVED.format(count=1) in page
        unchanged = RATINGS_UNCHANGED in page  # nothing typed but blanks
        event("saved" if saved else "unchanged" if unchanged else "refused")
        if unchanged:
            assert _rating_state(indicator) == before
        elif saved:
            actual, manual_grade, manual_reason, stored_comment = _rating_state(indicator)
            assert actual == _typed_number(value)
            assert manual_grade in ("", grade)
            assert manual_reason == (_stored(reason) if manual_grade else "")
            assert stored_comment == _stored(comment)
        else:
            assert _refused(page)
            assert _rating_state(indicator) == before


def _actual_spending():
    project = Project.objects.get(code=CODE)
    return {entry.month: entry.actual_percent for entry in project.schedule.all()}


@FUZZ
@given(values=st.lists(st.sampled_from(["", "30", "55.5", "100"]) | TEXT, min_size=4, max_size=4))
def test_monitoring(finance, values):
    with _rolled_back():
        months = ["3", "6", "10", "12"]
        before = _actual_spending()
        data = {f"actual_{m}": v for m, v in zip(months, values, strict=True)}
        response = _client(finance).post(
            reverse("projects:monitoring", args=[2024, CODE]), data, follow=True
        )
        page = _answered(response)
        after = _actual_spending()
        event("saved" if MONITORING_SAVED in page else "refused")
        if MONITORING_SAVED in page:
            for month, typed in zip(months, values, strict=True):
                number = _typed_number(typed)
                # An empty field keeps what was there; a number is stored as typed.
                assert after.get(int(month)) == (
                    number if number is not None else before.get(int(month))
                )
        else:
            assert _refused(page)
            assert after == before


EVALUATED = "13081123P000185100019"


def _evaluation_state():
    evaluation = SelfEvaluation.objects.filter(project__code=EVALUATED).first()
    amounts = evaluation and (
        evaluation.initial_budget,
        evaluation.annual_budget,
        evaluation.executed,
    )
    results = IndicatorResult.objects.filter(indicator__project__code=EVALUATED).order_by("pk")
    return amounts, list(
        results.values_list(
            "actual_text", "achievement", "achievement_share", "weight", "deviation_reason"
        )
    )


@FUZZ
@given(
    executed=st.sampled_from(["3.01", "2.5"]) | TEXT,
    actual=TEXT,
    reason=TEXT,
    achievement=st.sampled_from(["met", "partial", ""]) | TEXT,
    share=st.sampled_from(["", "80"]) | TEXT,
    weight=st.sampled_from(["", "10"]) | TEXT,
)
def test_self_evaluation(finance, executed, actual, reason, achievement, share, weight):
    with _rolled_back():
        before = _evaluation_state()
        data = {"initial_budget": "3.01", "annual_budget": "3.01", "executed": executed}
        indicators = list(Indicator.objects.filter(project__code=EVALUATED))
        for indicator in indicators:
            data[f"actual_{indicator.pk}"] = actual
            data[f"achievement_{indicator.pk}"] = achievement
            data[f"reason_{indicator.pk}"] = reason
            data[f"share_{indicator.pk}"] = share
            data[f"weight_{indicator.pk}"] = weight
        response = _client(finance).post(
            reverse("projects:evaluation", args=[2024, EVALUATED]), data, follow=True
        )
        page = _answered(response)
        event("saved" if EVALUATION_SAVED in page else "refused")
        if EVALUATION_SAVED in page:
            amounts, results = _evaluation_state()
            assert amounts == (Decimal("3.01"), Decimal("3.01"), _typed_number(executed))
            assert results == [
                (
                    _stored(actual),
                    achievement,
                    _typed_number(share),
                    _typed_number(weight),
                    _stored(reason),
                )
            ] * len(indicators)
        else:
            assert _refused(page)
            assert _evaluation_state() == before


@FUZZ
@given(username=TEXT, password=TEXT)
def test_login(db, username, password):
    client = Client(raise_request_exception=True)
    response = client.post(
        reverse("login"), {"username": username, "password": password}, follow=True
    )
    assert "_auth_user_id" not in client.session
    _answered(response)


@FUZZ
@given(q=TEXT, year=TEXT, status=TEXT, sort=TEXT, page=TEXT)
def test_project_list_filters(auditor, q, year, status, sort, page):
    response = _client(auditor).get(
        reverse("projects:list"),
        {"q": q, "year": year, "status": status, "sort": sort, "page": page},
    )
    _answered(response)


@FUZZ
@given(data=st.binary(max_size=5000))
def test_import_page_with_random_bytes(finance, data):
    with _rolled_back():
        before = Project.objects.count(), Indicator.objects.count()
        upload = io.BytesIO(data)
        upload.name = "upload.xlsx"
        response = _client(finance).post(reverse("projects:import"), {"file": upload})
        text = _answered(response)
        assert response.status_code == 200
        assert _refused(text), text
        assert (Project.objects.count(), Indicator.objects.count()) == before


# --- the importer over mutated workbooks -----------------------------------------------------

CELL_VALUE = st.one_of(
    TEXT,
    st.none(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
)


def _mutated(data: bytes, edits) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    sheets = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
    for sheet_pick, row_pick, column_pick, value in edits:
        sheet = sheets[sheet_pick % len(sheets)]
        row = 1 + row_pick % max(sheet.max_row + 1, 1)
        column = 1 + column_pick % max(sheet.max_column, 1)
        cell = sheet.cell(row=row, column=column)
        if type(cell).__name__ == "MergedCell":
            continue
        if isinstance(value, str):
            value = "".join(ch for ch in value if ch.isprintable() or ch in "\n\t")
        try:
            cell.value = value
        except (ValueError, TypeError):
            assume(False)  # a value openpyxl itself cannot write
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


EDITS = st.lists(
    st.tuples(st.integers(0, 20), st.integers(0, 200), st.integers(0, 30), CELL_VALUE),
    min_size=1,
    max_size=6,
)


def _import_round_trip(data: bytes) -> None:
    """Import a workbook. A refusal must name its problems and write nothing; an import must
    write only what can be exported and imported again unchanged."""
    before = Project.objects.count(), Indicator.objects.count()
    try:
        plan = import_prepare(data)
    except ImportRejected as rejected:
        assert rejected.problems
        assert all(str(problem).strip() for problem in rejected.problems)
        assert (Project.objects.count(), Indicator.objects.count()) == before
        return
    with _rolled_back():
        import_apply(plan)
        for department_year in DepartmentYear.objects.all():
            again = import_prepare(data_workbook(department_year))
            projects = [c for c in again.changes if "项目" in c.split(" ")[0]]
            assert all(c.endswith("无变化") for c in projects), again.changes


@FUZZ
@given(edits=EDITS)
def test_importer_over_mutated_data_workbooks(reference, edits):
    _import_round_trip(_mutated(data_workbook(_department_year()), edits))


@FUZZ
@given(edits=EDITS)
def test_importer_over_mutated_form_workbooks(reference, edits):
    table = department_tables(_department_year())[0]
    _import_round_trip(_mutated(table_workbook(table), edits))


@FUZZ
@given(position=st.integers(0, 10**6), length=st.integers(1, 64), byte=st.integers(0, 255))
def test_importer_over_damaged_files(reference, position, length, byte):
    data = bytearray(data_workbook(_department_year()))
    start = position % len(data)
    data[start : start + length] = bytes([byte]) * min(length, len(data) - start)
    try:
        _import_round_trip(bytes(data))
    except zipfile.BadZipFile:  # pragma: no cover - must not happen: the importer says why
        pytest.fail("a damaged zip reached the caller")


# --- a unit administrator's pages -------------------------------------------------------------


def _people_state():
    from django.contrib.auth import get_user_model

    from departments.models import Membership

    users = get_user_model().objects.order_by("pk")
    return (
        list(users.values_list("username", "first_name", "password", "is_active")),
        sorted(Membership.objects.values_list("user_id", "department_id", "role")),
    )


@FUZZ
@given(username=TEXT, full_name=TEXT, password=TEXT, role=st.sampled_from(["finance"]) | TEXT)
def test_unit_admin_new_person(unit_admin, username, full_name, password, role):
    from django.contrib.auth import get_user_model

    with _rolled_back():
        before = _people_state()
        data = {
            "username": username,
            "full_name": full_name,
            "password": password,
            "password2": password,
            "roles": [role],
        }
        response = _client(unit_admin).post(
            reverse("departments:person_new", args=["136001"]), data
        )
        _answered(response)
        if response.status_code == 302:
            users = get_user_model()
            person = users.objects.get(username=users.normalize_username(_stored(username)))
            assert person.first_name == _stored(full_name) and person.check_password(password)
        else:
            assert _refused(response.content.decode())
            assert _people_state() == before
        _answered(_client(unit_admin).get(reverse("departments:manage", args=["136001"])))


@FUZZ
@given(full_name=TEXT, password=TEXT, section=TEXT, active=TEXT)
def test_unit_admin_person_pages(unit_admin, finance, chief, full_name, password, section, active):
    with _rolled_back():
        client = _client(unit_admin)
        before = _people_state()
        url = reverse("departments:person", args=["136001", chief.pk])
        state = re.search(r'name="state" value="(\w+)"', client.get(url).content.decode())[1]
        response = client.post(
            url,
            {"full_name": full_name, "roles": ["chief"], "sections": [section], "state": state},
        )
        _answered(response)
        if response.status_code != 302:
            assert _refused(response.content.decode()) and _people_state() == before
        for name, data in (
            ("person_password", {"password": password, "password2": password}),
            ("person_active", {"active": active}),
        ):
            _answered(
                client.post(reverse(f"departments:{name}", args=["136001", finance.pk]), data)
            )
        _answered(client.get(url))


@FUZZ
@given(name=TEXT, order=TEXT, year=TEXT)
def test_unit_admin_sections_and_years(unit_admin, name, order, year):
    from departments.models import Section

    with _rolled_back():
        client = _client(unit_admin)
        sections = list(Section.objects.filter(department__code="136001").order_by("order", "id"))
        data = {
            "sec-TOTAL_FORMS": len(sections) + 1,
            "sec-INITIAL_FORMS": len(sections),
            "sec-MIN_NUM_FORMS": 0,
            "sec-MAX_NUM_FORMS": 1000,
        }
        for i, s in enumerate(sections):
            data.update({f"sec-{i}-id": s.pk, f"sec-{i}-order": s.order, f"sec-{i}-name": s.name})
        data.update({f"sec-{len(sections)}-order": order, f"sec-{len(sections)}-name": name})
        url = reverse("departments:sections", args=["136001"])
        data["state"] = re.search(r'name="state" value="(\w+)"', client.get(url).content.decode())[
            1
        ]
        response = client.post(url, data)
        _answered(response)
        count = Section.objects.filter(department__code="136001").count()
        if response.status_code == 302:
            assert count == len(sections) + (1 if _stored(name) else 0)
        else:
            assert _refused(response.content.decode()) and count == len(sections)
        _answered(client.post(reverse("unit_year:new", args=["136001"]), {"year": year}))
        _answered(client.get(reverse("departments:manage", args=["136001"])))
