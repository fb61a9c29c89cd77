"""第一部分 is built once (projects/documents/part_one.py) and the unit page, the booklet PDF
and the booklet workbook draw the same: an unconfirmed grade reads the same everywhere, the
summary counts confirmed grades apart from those 待确认, and the booklet's cache key follows it."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from departments.models import DepartmentYear, SectionIndicator
from departments.services import rating_record
from projects.documents.part_one import build_part_one
from projects.documents.stamp import unit_year_stamp
from tests.html_tables import parse_tables, texts
from tests.pdf_text import page_texts
from tests.reference_doc import squash

pytestmark = pytest.mark.django_db
PAGE = reverse("unit_year:detail", args=["136001", 2024])
PDF = reverse("unit_year:booklet_pdf", args=["136001", 2024])
XLSX = reverse("unit_year:booklet_xlsx", args=["136001", 2024])
FIRST = "综合业务管理工作完成率"


def _indicator(name=FIRST):
    return SectionIndicator.objects.select_related("section__department").get(name=name)


def _part_one():
    return build_part_one(DepartmentYear.objects.with_part_one(2024).get(year=2024))


def _page_rows(client) -> list[list[str]]:
    html = client.get(PAGE).content.decode()
    return [
        [squash(t) for t in texts(r)] for t in parse_tables(html, "rating-table") for r in t[2:]
    ]


def _pdf_text(client) -> str:
    return squash("".join(page_texts(client.get(PDF).content)))


def _xlsx_rows(client) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(client.get(XLSX).content))["第一部分"]
    return [tuple(v for v in row if v is not None) for row in sheet.iter_rows(values_only=True)]


def test_an_unconfirmed_grade_reads_the_same_on_the_page_in_the_pdf_and_in_excel(
    client, chief, auditor
):
    rating_record(indicator=_indicator(), user=chief, actual_value=Decimal(100))
    client.force_login(auditor)
    assert [FIRST, "100%", "90%", "80%", "60%以下", "100%", "优（待确认）"] in _page_rows(client)
    assert squash(f"{FIRST}100%90%80%60%以下100%优（待确认）") in _pdf_text(client)
    assert (FIRST, "100%", "90%", "80%", "60%以下", "100%", "优（待确认）") in _xlsx_rows(client)


def test_summary_counts_confirmed_grades_apart_from_pending_and_unrated(client, chief, auditor):
    rating_record(indicator=_indicator(), user=chief, actual_value=Decimal(100), confirm=True)
    rating_record(indicator=_indicator("综合文书工作完成率"), user=chief, actual_value=Decimal(95))
    rating_record(
        indicator=_indicator("宣传思想工作"),
        user=chief,
        actual_value=Decimal(70),
        manual_grade="中",
        reason="按中评定",
    )
    summary = "优 1 项，良 0 项，中 0 项，差 0 项，待确认 2 项，未评级 8 项"
    assert _part_one().summary_text == summary
    client.force_login(auditor)
    assert squash(f"科室评级汇总：{summary}") in squash(client.get(PAGE).content.decode())
    assert squash(f"科室评级汇总：{summary}") in _pdf_text(client)
    assert (f"　　科室评级汇总：{summary}",) in _xlsx_rows(client)


@pytest.mark.slow
def test_the_booklet_stamp_changes_when_a_rating_is_confirmed(client, chief, auditor):
    def key():
        return unit_year_stamp(DepartmentYear.objects.get(year=2024)).key

    rating_record(indicator=_indicator(), user=chief, actual_value=Decimal(100))
    client.force_login(auditor)
    assert squash("100%优（待确认）") in _pdf_text(client)
    before = key()
    rating_record(indicator=_indicator(), user=chief, actual_value=Decimal(100), confirm=True)
    assert key() != before
    text = _pdf_text(client)  # a fresh file, not the cached one
    assert (
        squash("100%优（待确认）") not in text and squash(f"{FIRST}100%90%80%60%以下100%优") in text
    )


def test_a_value_above_100_percent_is_noted(client, chief, auditor):
    rating_record(indicator=_indicator(), user=chief, actual_value=Decimal(120))
    assert _part_one().notes == (f"{FIRST}的实际完成值为 120%，超过 100%，请核实",)
    client.force_login(auditor)
    assert f"注：{FIRST}的实际完成值为 120%，超过 100%" in client.get(PAGE).content.decode()


def test_a_value_above_100_percent_is_warned_on_the_ratings_page(client, chief):
    rating_record(indicator=_indicator(), user=chief, actual_value=Decimal(120))
    client.force_login(chief)
    html = client.get(reverse("unit_year:ratings", args=["136001", 2024])).content.decode()
    row = html[html.index(f'data-indicator="{_indicator().pk}"') :]
    row = row[: row.index("</tr>")]
    assert "实际完成值超过 100%，请核实" in row and "hidden" not in row.split("over-100")[1][:20]
