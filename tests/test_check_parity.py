"""The editor, the project page, the import preview and `check_targets --json` speak the same
rules: on every reference project they return the same findings (rule, level, row, message)."""

import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.urls import reverse

from indicators.checks import review_aid
from projects.documents.data_workbook import data_workbook
from projects.importer import import_prepare
from projects.importer.findings import plan_findings
from projects.models import BudgetYear, Project
from tests.test_editor import _post_data, _rows

pytestmark = pytest.mark.django_db


def _key(f) -> tuple:
    f = f if isinstance(f, dict) else f.as_dict()
    return (f["code"], f["severity"], f["where"], f["message"], f["suggestion"])


def _page(project) -> Counter:
    aid = review_aid(project, BudgetYear.milestones_of(project.year))
    return Counter(_key(f) for f in aid.findings)


def test_every_way_in_returns_the_same_findings(client, finance, reference):
    projects = list(Project.objects.for_table().filter(year=2024))
    assert len(projects) == 5
    page = {p.code: _page(p) for p in projects}
    assert all(page.values())

    out = io.StringIO()
    call_command("check_targets", "--department", "136001", "--year", "2024", "--json", stdout=out)
    command: dict[str, Counter] = {}
    for f in json.loads(out.getvalue())["findings"]:
        if f["project"]:
            command.setdefault(f["project"], Counter())[_key(f)] += 1
    assert command == page

    plan = import_prepare(data_workbook(reference), default_year=2024)
    preview = {
        item.spec.code: Counter(_key(f) for f in item.findings) for item in plan_findings(plan)
    }
    assert preview == page

    client.force_login(finance)
    for project in projects:
        data = _post_data(project, _rows(project), framework=project.framework_id)
        live = client.post(reverse("projects:check"), data).json()["findings"]
        assert Counter(_key(f) for f in live) == page[project.code], project.code


def test_the_import_page_shows_findings_per_project_before_confirming(client, finance, reference):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(finance)
    upload = SimpleUploadedFile("data.xlsx", data_workbook(reference))
    response = client.post(reverse("projects:import"), {"file": upload, "year": 2024})
    html = response.content.decode()
    assert "审核检查（导入后的绩效目标）" in html
    assert html.count('class="import-findings"') == 5
    assert "指标值“广播节目播出时间”与三级指标名称相同" in html
    assert "确认导入" in html
