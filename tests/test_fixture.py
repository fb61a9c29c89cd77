"""The demo fixture is the reference document, value for value, defects included."""

from decimal import Decimal

import pytest

from departments.models import Section
from perfbudget.lib.numbers import format_percent
from projects.models import Project
from tests.reference_doc import read_projects, read_sections, squash

pytestmark = pytest.mark.django_db


def test_reference_reader_finds_the_five_tables_in_booklet_order():
    assert [p.table_number for p in read_projects()] == [1, 8, 9, 4, 5]


def test_projects_match_the_reference_in_booklet_order(reference):
    projects = list(
        Project.objects.filter(year=2024).order_by("booklet_order").prefetch_related("schedule")
    )
    expected = read_projects()
    assert len(projects) == len(expected) == 5
    for project, ref in zip(projects, expected, strict=True):
        assert (project.table_number, project.table_name) == (ref.table_number, ref.table_name)
        assert (project.code, project.name) == (ref.code, ref.name)
        budget, fiscal, other = ref.amounts
        assert project.budget_total == Decimal(budget)
        assert project.fiscal_funds == Decimal(fiscal)
        assert project.other_funds is None and other == ""
        assert squash(project.fund_use) == ref.fund_use
        assert squash(project.target) == ref.target
        planned = {
            f"{e.month}月底": format_percent(e.planned_percent) for e in project.schedule.all()
        }
        assert {k: planned.get(k, "") for k in ref.schedule} == ref.schedule


def test_every_indicator_row_matches_the_reference_in_order(reference):
    for ref in read_projects():
        project = Project.objects.get(year=2024, code=ref.code)
        rows = [
            (
                i.category.primary.name,
                i.category.name,
                squash(i.name),
                squash(i.description),
                squash(i.value_text),
                i.basis,
            )
            for i in project.indicators.in_table_order()
        ]
        assert rows == ref.indicator_rows, ref.table_name


def test_defects_are_kept_as_published(reference):
    """The reference writes the indicator name where the value belongs; the fixture keeps it."""
    project = Project.objects.get(year=2024, code="13081123P000182100018")
    first = project.indicators.in_table_order().first()
    assert first.name == first.value_text == "广播节目播出时间"
    assert first.operator == "定性" and first.value_number is None
    assert project.target == "1.目标内容1"


def test_sections_duties_and_rating_scales_match_the_reference(reference):
    sections = list(Section.objects.filter(department=reference.department).order_by("order"))
    expected = read_sections()
    assert [s.name for s in sections] == [s.name for s in expected]
    for section, ref in zip(sections, expected, strict=True):
        rows = [
            (squash(i.name), *i.criteria())
            for i in section.indicators.filter(year=2024).order_by("order")
        ]
        assert rows == ref.indicators, section.name
        assert section.duties


def test_department_year_texts(reference):
    assert reference.overall_target.startswith("贯彻落实上级有关宣传工作的各项政策。")
    assert "完成承德高新区形象宣传片制作" in reference.safeguards
    assert reference.department.code == "136001"
