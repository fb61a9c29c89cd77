"""Section ratings: computed grades, the hole that needs a choice, confirmation locks, and the
department page, PDF and Excel showing actual values, grades and the summary."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from conftest import make_user
from departments.models import Role, Section, SectionIndicator, SectionRating
from departments.services import RatingRefused, rating_record
from tests.pdf_text import page_texts

pytestmark = pytest.mark.django_db
URL = reverse("unit_year:ratings", args=["136001", 2024])


def _indicator(name="综合业务管理工作完成率"):
    return SectionIndicator.objects.select_related("section__department").get(name=name)


@pytest.mark.parametrize(
    ("value", "grade"), [("100", "优"), ("95", "良"), ("80", "中"), ("59.9", "差")]
)
def test_grade_is_computed_from_the_scale(chief, value, grade):
    rating = rating_record(indicator=_indicator(), user=chief, actual_value=Decimal(value))
    assert (rating.computed_grade, rating.grade, rating.manual_grade) == (grade, grade, "")


def test_a_value_in_the_hole_needs_a_chosen_grade_and_a_reason(chief):
    with pytest.raises(RatingRefused, match="不在任何等级范围内"):
        rating_record(indicator=_indicator(), user=chief, actual_value=Decimal(70))
    with pytest.raises(RatingRefused, match="不在任何等级范围内"):
        rating_record(
            indicator=_indicator(), user=chief, actual_value=Decimal(70), manual_grade="中"
        )
    assert not SectionRating.objects.exists()
    rating = rating_record(
        indicator=_indicator(),
        user=chief,
        actual_value=Decimal(70),
        manual_grade="中",
        reason="受疫情影响，按中评定",
    )
    assert (rating.computed_grade, rating.grade, rating.manual_reason) == (
        None,
        "中",
        "受疫情影响，按中评定",
    )


def test_overriding_a_computed_grade_needs_a_reason(chief):
    with pytest.raises(RatingRefused, match="请说明理由"):
        rating_record(
            indicator=_indicator(), user=chief, actual_value=Decimal(95), manual_grade="优"
        )


def test_confirming_locks_the_rating(chief):
    rating_record(indicator=_indicator(), user=chief, actual_value=Decimal(100), confirm=True)
    with pytest.raises(RatingRefused, match="已确认"):
        rating_record(indicator=_indicator(), user=chief, actual_value=Decimal(50))
    assert SectionRating.objects.get().actual_value == 100


def test_only_the_sections_chief_rates(unit, finance):
    other = make_user("chief-cm", unit, Role.CHIEF, sections=Section.objects.filter(name="传媒科"))
    for user in (other, finance):
        with pytest.raises(RatingRefused, match="只有该科室的负责人"):
            rating_record(indicator=_indicator(), user=user, actual_value=Decimal(100))


def _form(rows: dict[str, dict]) -> dict:
    """The ratings page's one form: each row's fields named after its indicator."""
    data = {}
    for name, values in rows.items():
        pk = _indicator(name).pk
        data.update({f"r-{pk}-{key}": value for key, value in values.items()})
    return data


def _row_html(html: str, name: str) -> str:
    """The <tr> of one indicator on the ratings page."""
    start = html.index(f'data-indicator="{_indicator(name).pk}"')
    return html[start : html.index("</tr>", start)]


THREE = ("综合业务管理工作完成率", "综合文书工作完成率", "宣传思想工作")


def test_ratings_page_records_and_shows_the_summary(client, chief):
    client.force_login(chief)
    assert client.get(URL).status_code == 200
    response = client.post(URL, _form({THREE[0]: {"actual_value": "70", "comment": "年中调整"}}))
    html = response.content.decode()
    assert response.status_code == 200 and "完成值 70% 不在任何等级范围内" in html
    assert 'value="70"' in html and 'value="年中调整"' in html  # the refused input is kept
    assert not SectionRating.objects.exists()
    client.post(
        URL,
        _form(
            {
                THREE[0]: {
                    "actual_value": "70",
                    "manual_grade": "中",
                    "reason": "按中评定",
                    "confirm": "on",
                },
                THREE[2]: {"actual_value": "100", "confirm": "on"},
            }
        ),
    )
    html = client.get(reverse("unit_year:detail", args=["136001", 2024])).content.decode()
    assert (
        "实际完成值" in html
        and "科室评级汇总：优 1 项，良 0 项，中 1 项，差 0 项，待确认 0 项，未评级 9 项" in html
    )


def test_three_typed_rows_are_saved_by_one_post(client, chief):
    client.force_login(chief)
    response = client.post(
        URL,
        _form(
            {
                THREE[0]: {"actual_value": "100"},
                THREE[1]: {"actual_value": "95", "comment": "按期完成"},
                THREE[2]: {"actual_value": "70", "manual_grade": "中", "reason": "人手不足"},
            }
        ),
    )
    assert response.status_code == 302
    saved = {r.indicator.name: (r.actual_value, r.grade) for r in SectionRating.objects.all()}
    assert saved == {THREE[0]: (100, "优"), THREE[1]: (95, "良"), THREE[2]: (70, "中")}
    assert "已保存 3 项评级" in client.get(URL).content.decode()


def test_one_bad_row_saves_nothing_and_every_typed_value_stays(client, chief):
    client.force_login(chief)
    response = client.post(
        URL,
        _form(
            {
                THREE[0]: {"actual_value": "100", "comment": "第一行"},
                THREE[1]: {"actual_value": "70", "comment": "第二行"},  # in the hole, no grade
                THREE[2]: {"actual_value": "95", "comment": "第三行"},
            }
        ),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert not SectionRating.objects.exists()
    typed = zip(THREE, ("100", "70", "95"), ("第一行", "第二行", "第三行"), strict=True)
    for name, value, comment in typed:
        row = _row_html(html, name)
        assert f'value="{value}"' in row and f'value="{comment}"' in row
    assert "完成值 70% 不在任何等级范围内" in _row_html(html, THREE[1])
    assert "不在任何等级范围内" not in _row_html(html, THREE[0])
    assert "均未保存" in html
    assert "未评级 11</span>" in html and "待确认 0</span>" in html  # counts what is stored


def test_a_row_of_another_chiefs_section_is_refused_and_nothing_written(client, unit):
    other = make_user("chief-cm", unit, Role.CHIEF, sections=Section.objects.filter(name="传媒科"))
    own = SectionIndicator.objects.filter(section__name="传媒科", year=2024).first()
    client.force_login(other)
    data = _form({THREE[0]: {"actual_value": "100"}})
    data[f"r-{own.pk}-actual_value"] = "100"
    assert client.post(URL, data).status_code == 403
    assert not SectionRating.objects.exists()


def test_unchanged_and_empty_rows_are_not_written_and_confirmed_rows_are_read_only(client, chief):
    rating_record(indicator=_indicator(THREE[0]), user=chief, actual_value=Decimal(95))
    rating_record(
        indicator=_indicator(THREE[1]), user=chief, actual_value=Decimal(100), confirm=True
    )
    client.force_login(chief)
    html = client.get(URL).content.decode()
    assert "<input" not in _row_html(html, THREE[1])  # confirmed: shown, not editable
    records = SectionRating.history.count()
    response = client.post(
        URL, _form({THREE[0]: {"actual_value": "95"}, THREE[2]: {"actual_value": ""}})
    )
    assert response.status_code == 302
    assert SectionRating.history.count() == records
    assert "没有需要保存的修改" in client.get(URL).content.decode()


def test_ratings_page_refuses_other_units_and_foreign_indicators(
    client, outsider, auditor, reference
):
    client.force_login(outsider)
    assert client.get(URL).status_code == 404
    client.force_login(auditor)
    assert client.get(URL).status_code == 200  # reads, and rates nothing
    assert client.post(URL, _form({THREE[0]: {"actual_value": "100"}})).status_code == 403
    assert not SectionRating.objects.exists()


def test_pdf_and_excel_show_actual_values_and_grades(client, chief, auditor):
    rating_record(indicator=_indicator(), user=chief, actual_value=Decimal("98.5"), confirm=True)
    client.force_login(auditor)
    pdf = client.get(reverse("unit_year:booklet_pdf", args=["136001", 2024])).content
    text = "".join(page_texts(pdf))
    assert "98.5%" in text and "科室评级汇总" in text
    data = client.get(reverse("unit_year:booklet_xlsx", args=["136001", 2024])).content
    values = [
        c.value for row in load_workbook(io.BytesIO(data))["第一部分"].iter_rows() for c in row
    ]
    assert "98.5%" in values and "良" in values


@pytest.mark.parametrize(
    "value, message",
    [
        ("NaN", "实际完成值应为 0 以上的百分比"),
        ("100000", "实际完成值应小于 100000%"),
        ("95.12345", "实际完成值最多保留 4 位小数"),
    ],
)
def test_values_a_rating_cannot_hold_are_refused_with_a_message(client, chief, value, message):
    client.force_login(chief)
    response = client.post(URL, _form({THREE[0]: {"actual_value": value}}))
    assert message in response.content.decode()
    assert not SectionRating.objects.exists()
    assert not SectionRating.objects.exists()


def test_a_confirmed_ratings_indicator_and_scale_stay_as_graded(client, finance, reference):
    """第一部分's editor and the importer change neither the name nor the scale of an
    indicator whose rating is confirmed, nor delete it."""
    import io

    from openpyxl import load_workbook

    from departments.models import SectionRating
    from projects.documents.data_workbook import data_workbook
    from projects.importer import ImportRejected, import_apply, import_prepare
    from tests.test_department_editor import _post_data

    indicator = (
        SectionIndicator.objects.filter(year=2024).order_by("section__order", "order").first()
    )
    SectionRating.objects.create(indicator=indicator, actual_value=95, confirmed=True)
    client.force_login(finance)
    url = reverse("unit_year:edit", args=["136001", 2024])
    for change in ({"si-0-good_bound": "50"}, {"si-0-name": "改名"}, {"si-0-DELETE": "on"}):
        response = client.post(url, _post_data(**change))
        assert "评级已确认" in response.content.decode(), change
    indicator.refresh_from_db()
    assert (indicator.name, indicator.good_bound) == ("综合业务管理工作完成率", 90)
    wb = load_workbook(io.BytesIO(data_workbook(reference)))
    for row in wb["科室指标"].iter_rows(min_row=2):
        if row[8].value == indicator.pk:
            row[5].value = "50%"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ImportRejected) as refused:
        import_apply(import_prepare(out.getvalue()))
    assert "评级已确认" in str(refused.value)
    indicator.refresh_from_db()
    assert indicator.good_bound == 90


def test_two_tabs_of_the_ratings_page_never_undo_each_other(client, chief):
    """Both tabs opened on an empty page; the first saves a row; the second, still showing the
    row empty, types into it and saves: refused, the first tab's value kept and shown."""
    import re

    client.force_login(chief)
    page = client.get(URL).content.decode()
    pk = _indicator(THREE[0]).pk
    shown = re.search(rf'name="r-{pk}-shown" value="(\w+)"', page)[1]
    first = {**_form({THREE[0]: {"actual_value": "95"}}), f"r-{pk}-shown": shown}
    assert client.post(URL, first).status_code == 302
    second = {**_form({THREE[0]: {"actual_value": "80"}}), f"r-{pk}-shown": shown}
    response = client.post(URL, second)
    assert "他人已保存了这一行" in response.content.decode()
    assert SectionRating.objects.get(indicator_id=pk).actual_value == 95
    assert 'value="95"' in _row_html(response.content.decode(), THREE[0])


@pytest.mark.parametrize(
    ("role", "shown"),
    [("chief", True), ("unit_admin", True), ("finance", False), ("auditor", False)],
)
def test_the_ratings_link_is_offered_to_those_who_rate(client, request, role, shown):
    client.force_login(request.getfixturevalue(role))
    page = client.get(reverse("unit_year:detail", args=["136001", 2024])).content.decode()
    assert (reverse("unit_year:ratings", args=["136001", 2024]) in page) == shown
