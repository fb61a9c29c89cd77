"""No request body is read before the user is known and CSRF has passed; bodies over the
limit are refused by their declared length, files included; the import page keeps one pending
upload per user."""

import io

import pytest
from django.core.cache import cache
from django.http import multipartparser
from django.test import Client
from openpyxl import load_workbook

from departments.models import DepartmentYear
from projects.documents.data_workbook import data_workbook
from projects.models import Project

pytestmark = pytest.mark.django_db
URL = "/projects/import/"
CODE = "13081123P000182100018"


@pytest.fixture
def parsed(monkeypatch) -> list:
    """Every multipart body Django parses, recorded."""
    calls = []
    original = multipartparser.MultiPartParser.parse

    def parse(self):
        calls.append(self)
        return original(self)

    monkeypatch.setattr(multipartparser.MultiPartParser, "parse", parse)
    return calls


def _file(data: bytes, name="targets.xlsx"):
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def test_a_logged_out_post_without_a_cookie_is_refused_before_its_body_is_read(db, parsed):
    client = Client(enforce_csrf_checks=True)
    response = client.post(URL, {"file": _file(b"x" * 100_000), "note": "a\x00b"})
    assert response.status_code == 403
    assert "表单已失效" in response.content.decode()
    assert parsed == []


def test_a_logged_out_post_past_csrf_is_sent_to_login_with_its_body_unread(db, parsed):
    client = Client()  # the token check is skipped: only the login requirement stands
    response = client.post(URL, {"file": _file(b"x" * 1000), "note": "a\x01b"})
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert parsed == []


def test_a_body_over_the_limit_is_refused_by_its_length_before_it_is_read(
    finance, reference, parsed, settings
):
    client = Client()
    client.force_login(finance)
    declared = settings.MAX_REQUEST_BYTES + 1
    response = client.post(URL, {"file": _file(b"x" * 1000)}, CONTENT_LENGTH=str(declared))
    assert response.status_code == 413
    page = response.content.decode()
    assert "提交的内容过大" in page and "11 MB" in page and "没有保存任何内容" in page
    assert parsed == []


def test_a_file_over_the_limit_is_refused_even_though_django_does_not_count_files(
    finance, reference, settings
):
    settings.MAX_REQUEST_BYTES = 50_000
    client = Client()
    client.force_login(finance)
    response = client.post(URL, {"file": _file(b"x" * 60_000)})
    assert response.status_code == 413


def _export() -> bytes:
    return data_workbook(DepartmentYear.objects.with_part_one(2024).get(year=2024))


def _edited(cell: str, value) -> bytes:
    wb = load_workbook(io.BytesIO(_export()))
    wb["项目"][cell] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_only_the_latest_pending_upload_of_a_user_is_kept(finance, reference):
    client = Client()
    client.force_login(finance)
    first = client.post(URL, {"file": _file(_edited("K2", "第一次"))}).context["token"]
    second = client.post(URL, {"file": _file(_edited("K2", "第二次"))}).context["token"]
    pending = [key for key in cache._cache if "import-upload" in key]
    assert len(pending) == 1
    response = client.post(URL, {"token": first}, follow=True)
    assert "已过期" in response.content.decode()
    assert Project.objects.get(code=CODE).fund_use != "第一次"
    response = client.post(URL, {"token": second})
    assert response.status_code == 302
    assert Project.objects.get(code=CODE).fund_use == "第二次"


def test_another_users_token_confirms_nothing(finance, unit_admin, reference):
    owner, other = Client(), Client()
    owner.force_login(finance)
    other.force_login(unit_admin)
    token = owner.post(URL, {"file": _file(_edited("K2", "别人的"))}).context["token"]
    response = other.post(URL, {"token": token}, follow=True)
    assert "已过期" in response.content.decode()
    assert Project.objects.get(code=CODE).fund_use != "别人的"
