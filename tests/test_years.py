"""Which year a project goes into: new projects into the year the user picks, copies only into
budget years an administrator set up, and never a link that leads nowhere."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from departments.models import DepartmentYear, SectionIndicator
from indicators.models import FrameworkVersion, SecondaryCategory
from projects.documents.data_workbook import data_workbook
from projects.importer import ImportRejected, import_apply, import_prepare
from projects.models import BudgetYear, Project
from projects.services import CopyRefused, project_copy_to_year, unit_year_copy

pytestmark = pytest.mark.django_db
CODE = "13081123P000182100018"
NO_BUDGET_YEAR = "预算年度由系统管理员设置"


def _budget_year(year: int) -> BudgetYear:
    return BudgetYear.objects.create(
        year=year, framework=FrameworkVersion.objects.get(code="2020"), milestone_months=[6, 12]
    )


def _counts():
    return (
        BudgetYear.objects.count(),
        DepartmentYear.objects.count(),
        Project.objects.count(),
        SectionIndicator.objects.count(),
    )


def test_copy_into_a_year_without_budget_year_is_refused_and_creates_nothing(
    client, finance, reference
):
    before = _counts()
    with pytest.raises(CopyRefused, match=NO_BUDGET_YEAR):
        project_copy_to_year(project=Project.objects.get(code=CODE), year=2100)
    with pytest.raises(CopyRefused, match=NO_BUDGET_YEAR):
        unit_year_copy(department_year=reference, year=2100)
    client.force_login(finance)
    for url in (
        reverse("projects:copy", args=[2024, CODE]),
        reverse("unit_year:copy", args=["136001", 2024]),
    ):
        html = client.post(url, {"year": 2100}, follow=True).content.decode()
        assert "2100年" in html and NO_BUDGET_YEAR in html
    assert _counts() == before
    assert not BudgetYear.objects.filter(year=2100).exists()


def _links(html: str) -> set[str]:
    return {
        href.replace("&amp;", "&")
        for href in re.findall(r'href="(/[^"]*)"', html)
        if not href.startswith(("/static/", "/accounts/logout"))
    }


def test_no_link_around_a_project_carried_into_another_year_is_a_404(client, finance, reference):
    _budget_year(2025)
    client.force_login(finance)
    response = client.post(reverse("projects:copy", args=[2024, CODE]), {"year": 2025})
    assert response.status_code == 302 and response.url == f"/projects/2025/{CODE}/"
    # The unit got its 2025 unit-year with the copy, so the breadcrumb leads somewhere.
    assert DepartmentYear.objects.filter(department=reference.department, year=2025).exists()
    pages = [response.url, reverse("unit_year:detail", args=["136001", 2025])]
    seen = set()
    for page in pages:
        html = client.get(page).content.decode()
        for link in sorted(_links(html) - seen):
            seen.add(link)
            assert client.get(link).status_code != 404, f"{link} (linked from {page})"
    assert reverse("unit_year:detail", args=["136001", 2025]) in seen


def test_new_project_page_offers_the_units_years_and_saves_into_the_chosen_one(
    client, finance, reference
):
    _budget_year(2025)
    unit_year_copy(department_year=reference, year=2025)
    client.force_login(finance)
    html = client.get(reverse("projects:new") + "?department=136001&year=2024").content.decode()
    # The year select's options only (the 责任科室 select's ids may have four digits too).
    select = re.search(r'<select id="new-year" name="year">.*?</select>', html, re.S).group(0)
    options = re.findall(r'<option value="(\d{4})"( selected)?>', select)
    assert options == [("2025", ""), ("2024", " selected")]
    unit_page = client.get(reverse("unit_year:detail", args=["136001", 2024])).content.decode()
    assert reverse("projects:new") + "?department=136001&amp;year=2024" in unit_page
    category = SecondaryCategory.objects.get(primary__framework__code="2020", name="数量指标")
    data = {
        "department_code": "136001",
        "year": "2024",
        "table_number": 30,
        "table_name": "新表",
        "code": "NEW2024001",
        "name": "新项目",
        "budget_total": "10",
        "fiscal_funds": "10",
        "other_funds": "",
        "fund_use": "",
        "target": "完成 3 场活动",
        "schedule_12": "100",
        "ind-TOTAL_FORMS": 1,
        "ind-INITIAL_FORMS": 0,
        "ind-MIN_NUM_FORMS": 0,
        "ind-MAX_NUM_FORMS": 1000,
        "ind-0-category": category.pk,
        "ind-0-name": "活动场次",
        "ind-0-operator": "≥",
        "ind-0-number": "3",
        "ind-0-unit": "场",
        "ind-0-ORDER": 1,
    }
    response = client.post(reverse("projects:new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Project.objects.get(code="NEW2024001").year == 2024


def test_new_project_page_refuses_a_year_the_unit_does_not_have(client, finance, reference):
    client.force_login(finance)
    response = client.get(reverse("projects:new") + "?department=136001&year=2031")
    assert response.status_code == 404


def _data_workbook_for(year: int) -> bytes:
    wb = load_workbook(io.BytesIO(data_workbook(DepartmentYear.objects.with_part_one(2024).get())))
    for ws in wb.worksheets:
        header = [c.value for c in ws[1]]
        if "年度" in header:
            col = header.index("年度") + 1
            for row in range(2, ws.max_row + 1):
                if ws.cell(row=row, column=col).value is not None:
                    ws.cell(row=row, column=col).value = year
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_user_import_into_a_year_without_budget_year_is_refused_per_row(finance, reference):
    before = _counts()
    with pytest.raises(ImportRejected) as rejected:
        import_prepare(_data_workbook_for(2031), user=finance)
    problems = rejected.value.problems
    # Five projects, the unit's 第一部分 and its eleven rating indicators, each on its row.
    assert [p.sheet for p in problems].count("项目") == 5
    assert {p.sheet for p in problems} >= {"项目", "部门", "科室指标"}
    assert all("2031年" in p.message and NO_BUDGET_YEAR in p.message for p in problems)
    assert _counts() == before


def test_the_superuser_import_command_may_still_create_the_year(reference):
    import_apply(import_prepare(_data_workbook_for(2031), user=None), user=None)
    assert BudgetYear.objects.filter(year=2031).exists()
    assert Project.objects.filter(year=2031).count() == 5
