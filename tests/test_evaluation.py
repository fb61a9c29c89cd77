"""Year-end self-evaluation: entry, scoring a finance officer can recompute, reasons for lost
points, confirmation, and the 自评表 as HTML, PDF and Excel."""

import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from indicators.models import Indicator, SelfEvaluation
from projects.documents.evaluation_table import build_evaluation, for_evaluation
from projects.models import Project
from tests.long_table import add_long_group
from tests.pdf_text import page_texts
from tests.reference_doc import squash

pytestmark = pytest.mark.django_db
CODE = "13081123P000185100019"  # 5.老电影放映员补贴, budget 3.01, nine 定性 rows in the reference
URL = reverse("projects:evaluation", args=[2024, CODE])
PDF_URL = reverse("projects:evaluation_pdf", args=[2024, CODE])
XLSX_URL = reverse("projects:evaluation_xlsx", args=[2024, CODE])


def _make_quantitative():
    """Give the reference project measurable targets, as a unit would before year end."""
    values = {
        "数量指标": "=14人",
        "质量指标": "≥95%",
        "时效指标": "按时",
        "成本指标": "≤3.01万元",
        "经济效益指标": "有所提高",
        "社会效益指标": "≥90%",
        "生态效益指标": "无负面影响",
        "可持续影响指标": "长期",
        "服务对象满意度指标": "≥95%",
    }
    from indicators.values import parse_value

    for indicator in Indicator.objects.filter(project__code=CODE).select_related("category"):
        value = parse_value(values[indicator.category.name])
        indicator.value_text, indicator.operator = value.text, value.operator
        indicator.value_number, indicator.value_unit = value.number, value.unit
        indicator.save()


def _form(**overrides):
    data = {"initial_budget": "3.01", "annual_budget": "3.01", "executed": "2.9"}
    actual = {
        "数量指标": "14人",
        "质量指标": "90%",
        "时效指标": "",
        "成本指标": "2.9万元",
        "经济效益指标": "",
        "社会效益指标": "92%",
        "生态效益指标": "",
        "可持续影响指标": "",
        "服务对象满意度指标": "96%",
    }
    for indicator in Indicator.objects.filter(project__code=CODE).select_related("category"):
        name = indicator.category.name
        data[f"actual_{indicator.pk}"] = actual[name]
        if indicator.operator == "定性":
            data[f"achievement_{indicator.pk}"] = "met"
        if name == "质量指标":
            data[f"reason_{indicator.pk}"] = "两名人员资料延后补齐"
    data.update(overrides)
    return data


def _table():
    return build_evaluation(for_evaluation().get(code=CODE))


def test_a_finance_officer_can_recompute_the_score(client, finance):
    _make_quantitative()
    client.force_login(finance)
    client.post(URL, _form())
    table = _table()
    # 预算执行 10 × 2.9/3.01 = 9.63; 产出 50 over 4 rows = 12.50 each; 效益 30 over 4 = 7.50;
    # 满意度 10 over 1.
    assert table.budget_score == D("9.63") and table.execution_rate == D("96.35")
    scores = {r.secondary: (r.points, r.score) for r in table.rows}
    assert scores["数量指标"] == (D("12.50"), D("12.50"))
    assert scores["质量指标"] == (D("12.50"), D("11.84"))  # 12.5 × 90/95
    assert scores["成本指标"] == (D("12.50"), D("12.50"))  # spent less than the ceiling
    assert scores["社会效益指标"] == (D("7.50"), D("7.50"))
    assert scores["服务对象满意度指标"] == (D("10.00"), D("10.00"))
    assert table.total_points == 100
    assert table.total_score == D("9.63") + sum(r.score for r in table.rows) == D("98.97")
    assert table.grade == "优"


def test_lost_points_need_a_reason_and_nothing_is_saved(client, finance):
    _make_quantitative()
    client.force_login(finance)
    quality = Indicator.objects.get(project__code=CODE, category__name="质量指标")
    response = client.post(URL, _form(**{f"reason_{quality.pk}": ""}), follow=True)
    assert "以下指标失分，须填写偏差原因分析及改进措施：数据合格率" in response.content.decode()
    assert not SelfEvaluation.objects.exists()


def test_bad_amounts_are_refused(client, finance):
    client.force_login(finance)
    response = client.post(URL, _form(executed="两万"), follow=True)
    assert "全年执行数须为数字" in response.content.decode()
    assert not SelfEvaluation.objects.exists()


def test_confirmation_by_the_chief_locks_it(client, finance, chief):
    _make_quantitative()
    client.force_login(finance)
    client.post(URL, _form())
    client.force_login(chief)
    client.post(reverse("projects:evaluation_confirm", args=[2024, CODE]))
    assert SelfEvaluation.objects.get().status == "confirmed"
    client.force_login(finance)
    response = client.post(URL, _form(executed="1"), follow=True)
    assert "自评已确认，不能再修改" in response.content.decode()
    assert SelfEvaluation.objects.get().executed == D("2.9")


def test_pdf_and_excel_hold_every_value(client, finance, auditor):
    _make_quantitative()
    client.force_login(finance)
    client.post(URL, _form())
    client.force_login(auditor)
    text = "".join(
        page_texts(client.get(reverse("projects:evaluation_pdf", args=[2024, CODE])).content)
    )
    for piece in (
        "项目支出绩效自评表",
        "（2024年度）",
        "老电影放映员补贴",
        "年初预算数",
        "3.01",
        "2.90",
        "96.35%",
        "9.63",
        "数据合格率",
        "≥95%",
        "90%",
        "11.84",
        "两名人员资料延后补齐",
        "98.97",
        "自评等级：优",
    ):
        assert squash(piece) in squash(text), piece
    data = client.get(reverse("projects:evaluation_xlsx", args=[2024, CODE])).content
    values = [c.value for row in load_workbook(io.BytesIO(data)).active.iter_rows() for c in row]
    assert "数据合格率" in values and "两名人员资料延后补齐" in values and "自评等级：优" in values
    assert 11.84 in values and 98.97 in values


def test_unit_summary_and_grade_chart(client, finance, auditor):
    _make_quantitative()
    client.force_login(finance)
    client.post(URL, _form())
    client.force_login(auditor)
    html = client.get(reverse("unit_year:evaluations", args=["136001", 2024])).content.decode()
    assert "98.97" in html and "grade-chart" in html and "未完成" in html
    data = client.get(
        reverse("unit_year:evaluations", args=["136001", 2024]) + "?format=xlsx"
    ).content
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][-2:] == ("自评得分", "自评等级")
    assert any(r[1] == CODE and r[-1] == "优" for r in rows[1:])


def test_read_only_users_cannot_fill_it(client, auditor):
    client.force_login(auditor)
    assert client.post(URL, _form()).status_code == 403
    assert not SelfEvaluation.objects.exists()
    assert Project.objects.get(code=CODE)


def test_a_negative_weight_is_refused_and_no_total_passes_100(client, finance):
    client.force_login(finance)
    rows = list(Indicator.objects.filter(project__code=CODE).order_by("pk"))
    weights = {f"weight_{i.pk}": "1" for i in rows}
    weights[f"weight_{rows[0].pk}"] = "-1"
    response = client.post(URL, _form(**weights), follow=True)
    assert "权重不能为负数" in response.content.decode()
    assert not SelfEvaluation.objects.exists()


@pytest.mark.parametrize("share", ["-50", "500", "59"])
def test_a_partial_share_outside_its_band_is_refused(client, finance, share):
    client.force_login(finance)
    row = Indicator.objects.filter(project__code=CODE).order_by("pk").first()
    data = _form(
        **{
            f"achievement_{row.pk}": "partial",
            f"share_{row.pk}": share,
            f"reason_{row.pk}": "部分完成",
        }
    )
    response = client.post(URL, data, follow=True)
    assert "部分达成的得分比例应在 60% 到 80% 之间" in response.content.decode()
    assert not SelfEvaluation.objects.exists()


def _confirmed():
    from indicators.models import SelfEvaluation

    project = Project.objects.get(code=CODE)
    SelfEvaluation.objects.create(
        project=project, initial_budget=1, annual_budget=1, executed=1, status="confirmed"
    )
    return project


def test_a_confirmed_self_evaluation_freezes_the_targets_it_scored(client, finance):
    """The editor and the importer leave alone the indicators a confirmed 自评 scored."""
    import io

    from openpyxl import load_workbook

    from departments.models import DepartmentYear
    from projects.documents.data_workbook import data_workbook
    from projects.importer import ImportRejected, import_prepare

    project = _confirmed()
    client.force_login(finance)
    response = client.get(reverse("projects:edit", args=[2024, CODE]), follow=True)
    assert "绩效自评已确认" in response.content.decode()
    workbook = data_workbook(DepartmentYear.objects.get(year=2024))
    plan = import_prepare(workbook)
    assert any(line.startswith("跳过项目") and CODE in line for line in plan.changes)
    wb = load_workbook(io.BytesIO(workbook))
    for row in wb["指标"].iter_rows(min_row=2):
        if row[1].value == CODE:
            row[4].value = "改名后的指标"
            break
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ImportRejected) as refused:
        import_prepare(out.getvalue())
    assert "绩效自评已确认，处于只读状态" in str(refused.value)
    assert not project.indicators.filter(name="改名后的指标").exists()


def test_the_page_the_pdf_and_excel_draw_the_same_cells(client, finance, auditor):
    """One builder (EvaluationTable's header, grid and total rows) and three drawers: every
    cell of the printed table on the page is in the PDF, and the Excel form holds the same
    cells row by row (numbers as numbers)."""
    from decimal import Decimal

    from tests.html_tables import parse_tables, texts

    _make_quantitative()
    client.force_login(finance)
    client.post(URL, _form(executed="2.5"))
    client.force_login(auditor)
    html = client.get(URL).content.decode()
    # Line breaks a narrow label column is given (预算执行/情况) are drawing, not content.
    tables = parse_tables(html, "evaluation-table")
    page = [[t.replace("\n", "") for t in texts(row) if t] for row in tables[0]]
    assert len(page) == 10 + 1 + 9 + 1 and page[-1][0] == "总分"
    pdf = squash("".join(page_texts(client.get(PDF_URL).content)))
    for row in page:
        for text in row:
            assert squash(text) in pdf, text
    sheet = load_workbook(io.BytesIO(client.get(XLSX_URL).content)).active
    cells = [[c for c in row if c not in (None, "")] for row in sheet.iter_rows(values_only=True)]
    assert cells[1] == ["（2024年度）"] and len(cells) == 2 + len(page)
    for drawn, shown in zip(cells[2:], page, strict=True):
        assert len(drawn) == len(shown), (drawn, shown)
        for value, text in zip(drawn, shown, strict=True):
            if isinstance(value, int | float) and text.endswith("%"):  # a percent number
                assert Decimal(str(value)) * 100 == Decimal(text[:-1]), (value, text)
            elif isinstance(value, int | float):
                assert Decimal(str(value)) == Decimal(text), (value, text)
            else:
                assert value == text


def test_the_printed_form_leaves_unfilled_cells_blank_and_the_entry_form_says_why(client, finance):
    # Nothing filled in yet: the printed 自评表 shows empty 得分 cells and no "（未完成）"; the
    # entry form names what is missing beside each row, and offers 定性 rows a choice, not
    # "（定量指标）".
    client.force_login(finance)
    table = _table()
    printed = [c.text for line in table.grid_rows() for c in line.cells]
    assert "未填写实际完成值" not in printed
    assert table.total_row()[-1].text == "自评等级："
    pdf_text = "".join(page_texts(client.get(PDF_URL).content))
    assert "未完成" not in pdf_text and "未填写实际完成值" not in pdf_text
    page = client.get(URL).content.decode()
    assert page.count('<p class="field-hint">未填写实际完成值</p>') == len(table.rows)
    assert "（请选择）" in page  # the reference project's rows are all 定性


def test_the_form_is_laid_out_as_the_official_template(client, finance, auditor):
    # 财政部 项目支出绩效自评表: 主管部门 and 实施单位; 项目资金 by source (年度资金总额, 其中：当年
    # 财政拨款, 上年结转资金, 其他资金) in 年初预算数 / 全年预算数 / 全年执行数, with 分值, 执行率
    # and 得分 on the total only; 年度总体目标 as 预期目标 beside 实际完成情况.
    from departments.models import Department

    unit = Department.objects.get(code="136001")
    unit.parent = Department.objects.create(code="136", name="承德高新技术产业开发区管理委员会")
    unit.save()
    _make_quantitative()
    client.force_login(finance)
    data = _form(
        fiscal_initial="3.01",
        fiscal_annual="2.5",
        fiscal_executed="2.4",
        carryover_annual="0.51",
        carryover_executed="0.5",
        outcome="为14名放映员发放补贴，全年放映任务完成。",
    )
    response = client.post(URL, data, follow=True)
    assert "自评已保存" in response.content.decode()
    rows = [[c.text for c in row] for row in _table().header_rows()]
    assert rows[1:] == [
        ["项目名称", "老电影放映员补贴"],
        [
            "主管部门",
            "承德高新技术产业开发区管理委员会",
            "实施单位",
            "承德高新技术产业开发区宣传中心本级",
        ],
        [
            "项目资金（万元）",
            "",
            "年初预算数",
            "全年预算数",
            "全年执行数",
            "分值",
            "执行率",
            "得分",
        ],
        ["年度资金总额", "3.01", "3.01", "2.90", "10", "96.35%", "9.63"],
        ["其中：当年财政拨款", "3.01", "2.50", "2.40", "—", "96%", "—"],
        ["上年结转资金", "", "0.51", "0.50", "—", "98.04%", "—"],
        ["其他资金", "0.00", "0.00", "0.00", "—", "", "—"],
        ["年度总体目标", "预期目标", "实际完成情况"],
        [_table().project.target, "为14名放映员发放补贴，全年放映任务完成。"],
    ]
    client.force_login(auditor)
    pdf = squash("".join(page_texts(client.get(PDF_URL).content)))
    for piece in ("主管部门", "实施单位", "其中：当年财政拨款", "上年结转资金", "实际完成情况"):
        assert squash(piece) in pdf
    assert squash("为14名放映员发放补贴") in pdf
    assert "定量" not in pdf


def test_parts_of_the_funds_beyond_the_total_are_refused(client, finance):
    client.force_login(finance)
    response = client.post(URL, _form(fiscal_annual="3", carryover_annual="0.5"), follow=True)
    assert "全年预算数中当年财政拨款与上年结转资金之和超过年度资金总额" in response.content.decode()
    assert not SelfEvaluation.objects.exists()
    response = client.post(URL, _form(fiscal_executed="-1"), follow=True)
    assert "不能为负数" in response.content.decode()
    assert not SelfEvaluation.objects.exists()


def _long_evaluation():
    """The reference project with 40 more 数量指标 rows: a 自评表 of several pages."""
    add_long_group(CODE)
    return _table()


def test_a_long_self_evaluation_pdf_repeats_heads_and_labels_on_every_page(client, auditor):
    from projects.documents.pdf import evaluation_pdf

    pages = page_texts(evaluation_pdf(_long_evaluation()))
    assert len(pages) >= 2
    assert "（2024年度）" in pages[0]
    for text in pages:
        assert "一级指标" in text and "偏差原因分析及改进措施" in squash(text)
        assert "产出指标" in text and "数量指标" in text
    assert all("".join(pages).count(f"长表指标{i:02d}") == 1 for i in range(40))


def test_a_long_self_evaluation_workbook_prints_heads_and_labels_on_every_page():
    from projects.documents.xlsx import evaluation_workbook

    ws = load_workbook(io.BytesIO(evaluation_workbook(_long_evaluation()))).active
    head = int(ws.print_title_rows.split(":")[0].lstrip("$"))
    assert ws.cell(row=head, column=1).value == "一级指标"
    breaks = sorted(b.id for b in ws.row_breaks.brk)
    assert breaks
    for merged in ws.merged_cells.ranges:
        assert not any(merged.min_row <= b < merged.max_row for b in breaks), merged
    for b in breaks:
        assert ws.cell(row=b + 1, column=1).value == "产出指标"
        assert ws.cell(row=b + 1, column=2).value == "数量指标"


def test_a_refused_save_keeps_everything_typed_and_marks_the_input(client, finance):
    client.force_login(finance)
    first = Indicator.objects.filter(project__code=CODE).order_by("pk").first()
    data = _form(
        executed="abc",
        outcome="全年放映任务完成，补贴按时发放。",
        **{f"actual_{first.pk}": "7次", f"reason_{first.pk}": "两名放映员年中离岗"},
    )
    response = client.post(URL, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "未保存：全年执行数须为数字" in page
    assert "全年放映任务完成，补贴按时发放。" in page and 'value="7次"' in page
    assert "两名放映员年中离岗" in page
    assert (
        'name="executed" aria-label="全年执行数" value="abc" required aria-invalid="true"' in page
    )
    assert not SelfEvaluation.objects.exists()
    # A weight that is no number names its indicator.
    response = client.post(URL, _form(**{f"weight_{first.pk}": "一"}))
    assert f"{first.name}：权重须为数字" in response.content.decode()


@pytest.mark.parametrize(
    "fields, says",
    [
        ({"executed": "3.5"}, "年度资金总额的全年执行数超过全年预算数"),
        (
            {"fiscal_annual": "2", "fiscal_executed": "2.5"},
            "当年财政拨款的全年执行数超过全年预算数",
        ),
    ],
)
def test_spending_beyond_its_budget_is_refused(client, finance, fields, says):
    client.force_login(finance)
    response = client.post(URL, _form(**fields))
    assert says in response.content.decode()
    assert not SelfEvaluation.objects.exists()


@pytest.mark.parametrize("share", ["150", "-10"])
def test_a_share_outside_0_to_100_is_refused_whatever_the_judgement(client, finance, share):
    client.force_login(finance)
    row = Indicator.objects.filter(project__code=CODE).order_by("pk").first()
    response = client.post(URL, _form(**{f"share_{row.pk}": share, f"achievement_{row.pk}": ""}))
    assert "得分比例应在 0% 到 100% 之间" in response.content.decode()
    assert not SelfEvaluation.objects.exists()


def test_a_page_opened_before_another_save_is_refused_and_keeps_what_was_typed(client, finance):
    # Two tabs: the later save must not silently write over the earlier one.
    client.force_login(finance)
    page = client.get(URL).content.decode()
    assert 'name="evaluation_version" value=""' in page
    first = client.post(URL, _form(evaluation_version="", outcome="甲页填写"), follow=True)
    assert "自评已保存" in first.content.decode()
    second = client.post(URL, _form(evaluation_version="", outcome="乙页填写"))
    text = second.content.decode()
    assert "保存了这份自评" in text and "乙页填写" in text
    assert SelfEvaluation.objects.get().outcome == "甲页填写"
    # Opened after the first save, a page saves.
    version = SelfEvaluation.objects.get().version
    third = client.post(
        URL, _form(evaluation_version=str(version), outcome="丙页填写"), follow=True
    )
    assert "自评已保存" in third.content.decode()
    assert SelfEvaluation.objects.get().outcome == "丙页填写"


@pytest.mark.parametrize(
    "fields, says",
    [
        ({"executed": "1" * 23, "annual_budget": "2" * 23}, "全年预算数："),
        ({"annual_budget": "0", "executed": "0"}, "全年预算数须大于 0"),
        ({"outcome": "完" * 2001}, "年度总体目标实际完成情况最多 2000 字"),
    ],
)
def test_amounts_and_texts_beyond_the_form_are_refused_by_name(client, finance, fields, says):
    client.force_login(finance)
    page = client.post(URL, _form(**fields)).content.decode()
    assert says in page
    assert not SelfEvaluation.objects.exists()


def test_weights_are_given_for_all_of_a_level_or_none(client, finance):
    client.force_login(finance)
    rows = list(Indicator.objects.filter(project__code=CODE).select_related("category__primary"))
    output = [i for i in rows if i.category.primary.name == "产出指标"]
    weights = {f"weight_{i.pk}": "10" for i in output[:-1]}
    page = client.post(URL, _form(**weights)).content.decode()
    assert "产出指标下的三级指标权重须全部填写或全部留空" in page
    assert not SelfEvaluation.objects.exists()


def test_a_result_too_long_names_its_indicator_and_field(client, finance):
    client.force_login(finance)
    first = Indicator.objects.filter(project__code=CODE).order_by("pk").first()
    page = client.post(URL, _form(**{f"actual_{first.pk}": "多" * 300})).content.decode()
    assert f"{first.name}：实际完成值：" in page
    assert not SelfEvaluation.objects.exists()


def test_self_evaluation_saves_are_in_the_projects_history(client, finance):
    # Who set which year-end figure and result, and when: overwritten values leave a trace.
    client.force_login(finance)
    first = Indicator.objects.filter(project__code=CODE).order_by("pk").first()
    client.post(URL, _form(executed="2.9", **{f"actual_{first.pk}": "14人"}))
    version = SelfEvaluation.objects.get().version
    client.post(URL, _form(executed="2.5", evaluation_version=str(version)))
    page = client.get(reverse("projects:history", args=[2024, CODE])).content.decode()
    assert "绩效自评" in page and "全年执行数" in page
    assert "2.9" in page and "2.5" in page
    assert f"绩效自评：三级指标“{first.name}”" in page
