"""Pages cost a fixed number of SQL queries, however many projects and indicators a unit has."""

import re
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators.models import Indicator, SecondaryCategory
from projects.models import Project, ScheduleEntry

pytestmark = pytest.mark.django_db


def _grow(unit, projects: int, indicators: int) -> None:
    categories = list(SecondaryCategory.objects.filter(primary__framework__code="2020"))
    template = Project.objects.get(code="13081123P000182100018")
    for n in range(projects):
        project = Project.objects.create(
            department=unit,
            year=2024,
            table_number=100 + n,
            booklet_order=100 + n,
            table_name=f"生成{n}",
            code=f"GEN{n:04d}",
            name=f"生成项目{n}",
            budget_total=Decimal(1),
            fiscal_funds=Decimal(1),
            framework=template.framework,
            section=template.section,
        )
        ScheduleEntry.objects.create(project=project, month=12, planned_percent=Decimal(100))
        Indicator.objects.bulk_create(
            Indicator(
                project=project,
                category=categories[i % len(categories)],
                order=i,
                name=f"指标{i}",
                value_text="≥1个",
                operator="≥",
                value_number=1,
                value_unit="个",
            )
            for i in range(indicators)
        )
    template_category = categories[0]
    Indicator.objects.bulk_create(
        Indicator(project=template, category=template_category, order=10 + i, name=f"附加{i}")
        for i in range(indicators)
    )


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        reverse("projects:list"),
        reverse("projects:detail", args=[2024, "13081123P000182100018"]),
        reverse("unit_year:detail", args=["136001", 2024]),
        reverse("unit_year:ratings", args=["136001", 2024]),
        reverse("unit_year:checks", args=["136001", 2024]),
        reverse("unit_year:monitoring", args=["136001", 2024]),
        reverse("unit_year:evaluations", args=["136001", 2024]),
        reverse("projects:monitoring", args=[2024, "13081123P000182100018"]),
        reverse("projects:evaluation", args=[2024, "13081123P000182100018"]),
        reverse("projects:history", args=[2024, "13081123P000182100018"]),
    ],
)
def test_page_queries_do_not_grow_with_projects_and_indicators(client, finance, unit, url):
    # Guards against N+1 queries: a unit 30 times larger must cost exactly the same queries.
    client.force_login(finance)
    small = _count(client, url)
    _grow(unit, projects=30, indicators=20)
    assert _count(client, url) == small


def test_project_page_query_budget(client, finance, reference, django_assert_max_num_queries):
    # Session, user, project with its relations, schedule, indicators, framework tree, year,
    # the framework's 审核口径, and its earlier reviews (审核经过).
    client.force_login(finance)
    with django_assert_max_num_queries(11):
        client.get(reverse("projects:detail", args=[2024, "13081123P000182100018"]))


@pytest.mark.parametrize(
    "url",
    [
        reverse("projects:table_pdf", args=[2024, "13081123P000182100018"]),
        reverse("projects:table_xlsx", args=[2024, "13081123P000182100018"]),
        reverse("projects:table_docx", args=[2024, "13081123P000182100018"]),
        reverse("unit_year:booklet_pdf", args=["136001", 2024]),
        reverse("unit_year:booklet_xlsx", args=["136001", 2024]),
        reverse("unit_year:booklet_docx", args=["136001", 2024]),
        reverse("unit_year:data", args=["136001", 2024]),
        reverse("projects:evaluation_pdf", args=[2024, "13081123P000182100018"]),
        reverse("projects:evaluation_xlsx", args=[2024, "13081123P000182100018"]),
        reverse("projects:opinion_pdf", args=[2024, "13081123P000182100018"]),
        reverse("unit_year:checks", args=["136001", 2024]) + "?format=xlsx",
    ],
)
def test_export_queries_do_not_grow_with_projects_and_indicators(client, auditor, unit, url):
    # Guards against N+1 queries while gathering and drawing a download (cache is empty).
    client.force_login(auditor)
    small = _count(client, url)
    _grow(unit, projects=8, indicators=20)
    from django.core.cache import cache

    cache.clear()
    assert _count(client, url) == small


def test_import_queries_do_not_grow_with_projects(reference, unit):
    """Checking and applying a data workbook cost the same whatever the number of projects in it:
    units, years, projects, indicators, sections and versions are each read in one query, and
    the write locks them in a fixed number (an unchanged file writes nothing)."""
    from projects.documents.data_workbook import data_workbook
    from projects.importer import import_apply, import_prepare

    def counts() -> tuple[int, int]:
        data = data_workbook(reference)
        with CaptureQueriesContext(connection) as prepare:
            plan = import_prepare(data, default_year=2024)
        with CaptureQueriesContext(connection) as apply:
            import_apply(plan)
        return len(prepare.captured_queries), len(apply.captured_queries)

    small = counts()
    # Budgets: 13 to check (the 科室指标 rows compared with the stored ones: a read-only 第一部分
    # or a confirmed rating is refused by the check), 21 to apply.
    assert small[0] <= 13 and small[1] <= 21
    _grow(unit, projects=10, indicators=5)
    assert counts() == small


def _membership_reads(ctx) -> int:
    return sum('FROM "departments_membership"' in q["sql"] for q in ctx.captured_queries)


@pytest.mark.parametrize("action", ["submit", "review", "reopen"])
def test_a_transition_reads_the_users_access_once(client, finance, chief, unit_admin, action):
    # The view's access getter reads the user's roles and sections; the workflow service takes
    # them from the view instead of asking the database again.
    from tests.sound import make_sound

    code = "13081123P000182100018"
    make_sound(code)
    project = Project.objects.get(code=code)
    if action != "submit":
        Project.objects.filter(pk=project.pk).update(
            status="submitted" if action == "review" else "approved", submitted_by=finance
        )
    user = {"submit": finance, "review": chief, "reopen": unit_admin}[action]
    client.force_login(user)
    data = {"grade": "优", "reason": "补充指标"}
    with CaptureQueriesContext(connection) as ctx:
        client.post(reverse(f"projects:{action}", args=[2024, code]), data)
    expected = {"submit": "submitted", "review": "approved", "reopen": "draft"}[action]
    assert Project.objects.get(pk=project.pk).status == expected
    assert _membership_reads(ctx) == 1


@pytest.mark.parametrize("action", ["submit", "review"])
def test_a_unit_year_transition_reads_the_users_access_once(client, finance, unit_admin, action):
    from departments.models import DepartmentYear

    if action == "review":
        DepartmentYear.objects.filter(year=2024).update(status="submitted", submitted_by=finance)
    client.force_login(finance if action == "submit" else unit_admin)
    with CaptureQueriesContext(connection) as ctx:
        client.post(reverse(f"unit_year:{action}", args=["136001", 2024]), {"grade": "优"})
    expected = {"submit": "submitted", "review": "approved"}[action]
    assert DepartmentYear.objects.get(year=2024).status == expected
    assert _membership_reads(ctx) == 1


def test_indicator_rows_alone_cost_the_same_queries_for_more_projects(reference, unit, finance):
    """A data workbook with only 指标 rows (the projects as they are) reads all its projects in
    one query and asks the user's access once per unit."""
    import io

    from openpyxl import load_workbook

    from projects.documents.data_workbook import data_workbook
    from projects.importer import import_prepare

    def count() -> int:
        wb = load_workbook(io.BytesIO(data_workbook(reference)))
        wb["项目"].delete_rows(2, wb["项目"].max_row)
        out = io.BytesIO()
        wb.save(out)
        with CaptureQueriesContext(connection) as ctx:
            plan = import_prepare(out.getvalue(), default_year=2024, user=finance)
        assert len(plan.projects) == Project.objects.count()
        return len(ctx.captured_queries)

    small = count()
    _grow(unit, projects=5, indicators=3)
    assert count() == small


def _every_value_changed(department_year, mark: str) -> bytes:
    """The unit's data workbook with every project's name and every indicator's value edited."""
    from io import BytesIO

    from openpyxl import load_workbook

    from projects.documents.data_workbook import data_workbook

    workbook = load_workbook(BytesIO(data_workbook(department_year)))
    for sheet, column in (("项目", "项目名称"), ("指标", "指标值")):
        rows = workbook[sheet].iter_rows()
        at = [cell.value for cell in next(rows)].index(column)
        for row in rows:
            if row[at].value:
                row[at].value = f"{row[at].value}{mark}"
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_changed_import_writes_in_queries_that_do_not_grow_with_projects(reference, unit):
    """Every project and indicator changed: the rows are written in bulk with their history
    rows, the same statements for 5 projects as for 15."""
    from indicators.models import Indicator
    from projects.importer import import_apply, import_prepare

    def writes(mark: str) -> int:
        plan = import_prepare(_every_value_changed(reference, mark), default_year=2024)
        before = (Project.history.count(), Indicator.history.count())
        with CaptureQueriesContext(connection) as apply:
            import_apply(plan)
        projects = Project.objects.filter(department=unit, year=2024)
        assert all(p.name.endswith(mark) for p in projects)
        indicators = Indicator.objects.filter(project__in=projects).exclude(value_text="")
        assert all(i.value_text.endswith(mark) for i in indicators)
        assert (Project.history.count(), Indicator.history.count()) == (
            before[0] + projects.count(),
            before[1] + indicators.count(),
        )
        return _statements(apply.captured_queries)

    small = writes("甲")
    _grow(unit, projects=10, indicators=5)
    big = writes("乙")
    # The same statements; only SQLite's limit of parameters per statement splits the history
    # rows' INSERT into more batches when there are more rows.
    inserts = {kind for kind in small if kind[0] == "INSERT"}
    assert set(big) == set(small)
    assert {k: n for k, n in big.items() if k not in inserts} == {
        k: n for k, n in small.items() if k not in inserts
    }
    assert all(big[kind] <= 2 * small[kind] for kind in inserts)


def _statements(queries) -> Counter:
    """Each statement as its verb and first table."""
    kinds = Counter()
    for query in queries:
        sql = query["sql"]
        table = re.search(r'"(\w+)"', sql)
        verb = sql.split()[0]
        kinds[(verb, table.group(1) if table and verb not in ("SAVEPOINT", "RELEASE") else "")] += 1
    return kinds
