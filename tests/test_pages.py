"""The pages show the reference exactly where the published document has it."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from indicators.models import FrameworkVersion, Indicator, SecondaryCategory
from projects.models import Project
from tests.html_tables import parse_tables, texts
from tests.reference_doc import read_projects, read_sections, squash

pytestmark = pytest.mark.django_db


def _get(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _table(client, user, code, year=2024):
    html = _get(client, user, reverse("projects:detail", args=[year, code]))
    # The header block and the grid (its own table, whose heads repeat on printed pages).
    tables = parse_tables(html, "target-table")
    assert len(tables) == 2
    return html, tables[0] + tables[1]


def flat(row) -> list[str]:
    """A row's texts without the line breaks a long label is given to wrap at its natural
    break (预算规模及/资金用途): drawing, not content."""
    return [text.replace("\n", "") for text in texts(row)]


@pytest.mark.parametrize("ref", read_projects(), ids=lambda r: r.table_name)
def test_project_table_cells_match_the_reference(client, finance, ref):
    html, rows = _table(client, finance, ref.code)
    assert f"{ref.table_number}.{ref.table_name}绩效目标表" in html
    assert texts(rows[0]) == ["136001承德高新技术产业开发区宣传中心本级", "单位：万元"]
    assert [squash(t) for t in texts(rows[1])] == ["项目编码", ref.code, "项目名称", ref.name]
    budget, fiscal, other = ref.amounts
    assert flat(rows[2]) == [
        "预算规模及资金用途",
        "预算数",
        f"{Decimal(budget):.2f}",
        "其中：财政资金",
        f"{Decimal(fiscal):.2f}",
        "其他资金",
        other,
    ]
    assert rows[2][0].rowspan == 2
    assert [squash(t) for t in texts(rows[3])] == [ref.fund_use]
    assert flat(rows[4]) == ["资金支出计划（%）", *ref.schedule.keys()]
    assert texts(rows[5]) == list(ref.schedule.values())
    assert [squash(t) for t in texts(rows[6])] == ["绩效目标", ref.target]
    assert flat(rows[7]) == [
        "一级指标",
        "二级指标",
        "三级指标",
        "绩效指标描述",
        "指标值",
        "指标值确定依据",
    ]

    grid = rows[8:]
    assert len(grid) == len(ref.indicator_rows) == 9
    # 产出 over 4 rows, 效益 over 4, 满意度 over 1; each 二级 over its one 三级.
    primary_cells = [(row[0].text, row[0].rowspan) for row in grid if len(row) == 6]
    assert primary_cells == [("产出指标", 4), ("效益指标", 4), ("满意度指标", 1)]
    for row, expected in zip(grid, ref.indicator_rows, strict=True):
        cells = [squash(t) for t in texts(row)]
        assert cells == list(expected[len(expected) - len(cells) :])


def test_every_framework_secondary_appears_even_without_indicators(client, finance, reference):
    project = Project.objects.get(code="13081123P000182100018")
    project.indicators.filter(category__name="生态效益指标").delete()
    extra = SecondaryCategory.objects.get(primary__framework__code="2020", name="数量指标")
    for i in range(2, 4):
        Indicator.objects.create(project=project, category=extra, order=i, name=f"新增{i}")
    _, rows = _table(client, finance, project.code)
    grid = rows[8:]
    assert len(grid) == 11
    assert (grid[0][0].text, grid[0][0].rowspan) == ("产出指标", 6)
    assert (grid[0][1].text, grid[0][1].rowspan) == ("数量指标", 3)
    assert [c.text for c in grid[1]] == ["新增2", "", "", ""]
    ecology = next(row for row in grid if row[0].text == "生态效益指标")
    assert [c.text for c in ecology] == ["生态效益指标", "", "", "", ""]


def test_money_prints_two_decimals_and_more_only_when_present(client, finance, reference):
    Project.objects.filter(code="13081123P000185100019").update(budget_total=Decimal("3.015"))
    _, rows = _table(client, finance, "13081123P000185100019")
    assert rows[2][2].text == "3.015"
    assert rows[2][4].text == "3.01"


def test_user_text_is_escaped(client, finance, reference):
    Project.objects.filter(code="13081123P000182100018").update(
        fund_use="<script>alert(1)</script>"
    )
    html, _ = _table(client, finance, "13081123P000182100018")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_project_under_2021_framework_shows_cost_as_primary(client, finance, reference):
    framework = FrameworkVersion.objects.get(code="2021")
    project = Project.objects.get(code="13081123P000182100018")
    project.indicators.all().delete()
    Project.objects.filter(pk=project.pk).update(framework=framework)
    _, rows = _table(client, finance, project.code)
    primaries = [(r[0].text, r[0].rowspan) for r in rows[8:] if r[0].rowspan > 1 or len(r) == 6]
    assert primaries == [("成本指标", 3), ("产出指标", 3), ("效益指标", 4), ("满意度指标", 1)]


def test_department_page_shows_part_one_as_in_the_reference(client, finance, reference):
    html = _get(client, finance, reverse("unit_year:detail", args=["136001", 2024]))
    text = squash(html)
    for heading in ("一、总体绩效目标", "二、分项绩效目标", "三、工作保障措施"):
        assert heading in text
    assert squash(reference.overall_target) in text
    tables = parse_tables(html, "rating-table")
    sections = read_sections()
    assert len(tables) == len(sections) == 4
    for table, section in zip(tables, sections, strict=True):
        assert texts(table[0]) == ["绩效指标", "评价标准"]
        assert texts(table[1]) == ["优", "良", "中", "差"]
        assert [tuple(squash(t) for t in texts(r)) for r in table[2:]] == section.indicators
        assert f"）{section.name}" in text
    # The project tables are linked in booklet order.
    positions = [
        html.index(reverse("projects:detail", args=[2024, p.code])) for p in read_projects()
    ]
    assert positions == sorted(positions)


def test_project_list_shows_the_units_projects_and_filters(client, finance, reference):
    html = _get(client, finance, reverse("projects:list"))
    for ref in read_projects():
        assert ref.code in html
    html = _get(client, finance, reverse("projects:list") + "?q=老电影")
    assert "13081123P000185100019" in html and "13081123P000182100018" not in html
    html = _get(client, finance, reverse("projects:list") + "?year=2023")
    assert "13081123P000185100019" not in html and "没有符合条件的项目" in html


def test_list_is_sortable_and_paginated(client, finance, reference):
    html = _get(client, finance, reverse("projects:list") + "?sort=budget_total")
    codes = ["13081123P000315100016", "13081123P000185100019", "13081123P00018610001Y"]
    positions = [html.index(code) for code in codes]
    assert positions == sorted(positions)


def test_start_page_lists_the_users_units(client, finance, reference):
    html = _get(client, finance, reverse("home"))
    assert "承德高新技术产业开发区宣传中心本级" in html and "财务人员" in html
    assert reverse("unit_year:detail", args=["136001", 2024]) in html


@pytest.mark.parametrize(
    "url",
    ["/", "/projects/", "/projects/2024/13081123P000182100018/", "/departments/136001/2024/"],
)
def test_anonymous_is_sent_to_login(client, reference, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_login_page_is_open(client, db):
    assert client.get("/accounts/login/").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/projects/2024/NOPE/",
        "/projects/2023/13081123P000182100018/",
        "/departments/000000/2024/",
        "/departments/136001/2023/",
    ],
)
def test_unknown_project_or_unit_is_404(client, finance, url):
    client.force_login(finance)
    assert client.get(url).status_code == 404


def test_outsider_gets_404_and_sees_nothing_in_lists(client, outsider, reference):
    client.force_login(outsider)
    assert client.get("/projects/2024/13081123P000182100018/").status_code == 404
    assert client.get("/departments/136001/2024/").status_code == 404
    html = client.get("/projects/?q=13081123").content.decode()
    assert "13081123P000182100018" not in html
    assert "承德高新" not in client.get("/").content.decode()


def test_the_project_list_shows_each_tables_name(client, finance):
    client.force_login(finance)
    page = client.get(reverse("projects:list")).content.decode()
    assert "<th" in page and "表名称" in page
    assert ">扫黄打非</a>" in page  # its 项目名称 is the notice that funds it
    assert 'class="nowrap"' in page


def test_the_list_shows_25_a_page_and_a_page_past_the_end_is_the_last(client, finance, reference):
    project = Project.objects.get(code="13081123P000182100018")
    Project.objects.bulk_create(
        Project(
            department=project.department,
            year=2024,
            framework=project.framework,
            code=f"T{i:03d}",
            table_number=100 + i,
            table_name=f"分页项目{i:03d}",
            name=f"分页项目{i:03d}",
            budget_total=1,
            fiscal_funds=1,
        )
        for i in range(30)
    )
    client.force_login(finance)
    url = reverse("projects:list")
    first = client.get(url, {"sort": "code"}).content.decode()
    # The five reference projects (their codes sort first), then 20 of the 30.
    assert len(set(re.findall(r"分页项目\d{3}", first))) == 25 - 5 and "分页项目000" in first
    for page in (2, 999):
        response = client.get(url, {"sort": "code", "page": page})
        assert response.status_code == 200
        html = response.content.decode()
        assert "分页项目029" in html and "分页项目000" not in html
