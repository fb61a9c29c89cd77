"""The upload page: preview first, write on confirmation, problems listed, units scoped."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from departments.models import DepartmentYear
from projects.documents.data_workbook import data_workbook
from projects.models import Project

pytestmark = pytest.mark.django_db
URL = "/projects/import/"


def _export() -> bytes:
    return data_workbook(DepartmentYear.objects.with_part_one(2024).get(year=2024))


def _edited(**cells) -> bytes:
    wb = load_workbook(io.BytesIO(_export()))
    for ref, value in cells.items():
        wb["项目"][ref] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(client, data: bytes, name="targets.xlsx"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(URL, {"file": upload})


def test_preview_then_confirm_writes(client, finance):
    client.force_login(finance)
    response = _upload(client, _edited(K2="新的资金用途"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "检查通过" in html
    assert "资金用途：“签订协议、按时播放高新区新闻” → “新的资金用途”" in html
    project = Project.objects.get(code="13081123P000182100018")
    assert project.fund_use == "签订协议、按时播放高新区新闻"
    token = response.context["token"]
    response = client.post(URL, {"token": token})
    assert response.status_code == 302 and response.url == reverse("projects:list")
    project.refresh_from_db()
    assert project.fund_use == "新的资金用途"
    # The same token cannot be used twice.
    response = client.post(URL, {"token": token}, follow=True)
    assert "已过期" in response.content.decode()


def test_the_preview_shows_a_long_text_change_shortened(client, finance):
    client.force_login(finance)
    long_text = "新的资金用途" * 10
    html = _upload(client, _edited(K2=long_text)).content.decode()
    shortened = "新的资金用途新的资金用途新的资金用途新的…"
    assert f"资金用途：“签订协议、按时播放高新区新闻” → “{shortened}”" in html


def test_the_preview_of_an_unchanged_file_says_nothing_would_be_written(client, finance):
    client.force_login(finance)
    html = _upload(client, _export()).content.decode()
    assert "与现有数据相同，确认导入也不会写入任何数据" in html
    assert "将进行以下修改" not in html
    html = _upload(client, _edited(K2="新的资金用途")).content.decode()
    assert "将进行以下修改" in html and "与现有数据相同" not in html


def test_the_preview_of_a_new_project_without_indicator_rows_says_it_has_none(client, finance):
    wb = load_workbook(io.BytesIO(_export()))
    ws = wb["项目"]
    ws.append([cell.value for cell in ws[2]])
    ws.cell(row=ws.max_row, column=6).value = "13081123P9999999NEW1"
    ws.cell(row=ws.max_row, column=ws.max_column).value = None  # no version: a new project
    out = io.BytesIO()
    wb.save(out)
    client.force_login(finance)
    html = _upload(client, out.getvalue()).content.decode()
    assert "新建项目 2024年 13081123P9999999NEW1" in html
    assert "（无指标）" in html and "保留原有指标" not in html


def test_the_done_message_counts_what_was_written(client, finance):
    """The reference file has 5 projects; one changed: the message says one was written and
    four left as they were, not "5 个项目" as if all were imported."""
    client.force_login(finance)
    response = _upload(client, _edited(K2="新的资金用途"))
    response = client.post(URL, {"token": response.context["token"]}, follow=True)
    done = [str(m) for m in response.context["messages"]]
    assert done == ["导入完成：数据工作簿：5 个项目，45 条指标。更新 1 个项目，4 个无变化未写入。"]


def test_bad_file_lists_problems_and_writes_nothing(client, finance):
    client.force_login(finance)
    response = _upload(client, _edited(H3="abc", K2="改了也不写"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "未导入任何数据" in html and "“abc”不是有效的金额" in html
    assert "<td>3</td>" in html
    assert Project.objects.get(code="13081123P000182100018").fund_use != "改了也不写"


def test_random_bytes_get_a_message_not_a_500(client, finance):
    client.force_login(finance)
    response = _upload(client, b"\x89PNG\r\n\x1a\n" + b"\x00" * 500, name="photo.xlsx")
    assert response.status_code == 200
    assert "不是有效的 Excel 工作簿" in response.content.decode()


def test_outsider_cannot_import_into_another_unit(client, outsider, reference):
    client.force_login(outsider)
    response = _upload(client, _edited(K2="入侵"))
    assert "单位 136001 不存在，或您没有在该单位导入数据的权限" in response.content.decode()
    problems = [str(p) for p in response.context["problems"]]
    assert (
        "工作表“项目” 第2行 B列（单位编码）：单位 136001 不存在，或您没有在该单位导入数据的权限"
        in problems
    )
    assert Project.objects.get(code="13081123P000182100018").fund_use != "入侵"


@pytest.mark.parametrize("who", ["auditor", "chief"])
def test_read_only_roles_cannot_open_the_import_page(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"token": "x"}).status_code == 403


def test_import_page_requires_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_data_workbook_download(client, auditor):
    client.force_login(auditor)
    response = client.get(reverse("unit_year:data", args=["136001", 2024]))
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).sheetnames[0] == "项目"


def test_the_upload_page_states_the_limits(client, finance):
    """On the empty page, and beside the problems of a refused file (at upload and at a
    confirmation refused because the project changed since the preview)."""
    from projects.importer import contract

    client.force_login(finance)
    token = _upload(client, _edited(K2="预览之后")).context["token"]
    Project.objects.filter(code="13081123P000182100018").update(version=99)
    pages = {
        "empty": client.get(URL),
        "refused upload": _upload(client, _edited(H3="abc")),
        "refused confirmation": client.post(URL, {"token": token}),
    }
    for name, response in pages.items():
        html = response.content.decode()
        assert f"文件最大 {contract.MAX_FILE_BYTES // 2**20} 兆字节" in html, name
        assert f"每个工作表最多 {contract.MAX_ROWS} 行" in html, name
        assert f"共最多 {contract.MAX_CELLS} 个非空单元格" in html, name
    assert "未导入任何数据" in pages["refused confirmation"].content.decode()
