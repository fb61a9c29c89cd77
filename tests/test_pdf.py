"""PDF downloads: the reference's content in order, page numbers, bookmarks, long tables,
no fetching of user-written URLs, and rendering once per content version."""

from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.urls import reverse

from indicators.models import Indicator
from projects.documents import pdf
from projects.documents.part_one import build_part_one
from projects.models import Project
from tests.long_table import add_long_group
from tests.pdf_text import assert_in_order, outline_titles, page_texts, reader
from tests.reference_doc import read_projects, read_sections

pytestmark = pytest.mark.django_db


def _download(client, user, url, **headers):
    client.force_login(user)
    response = client.get(url, headers=headers)
    return response


def _table_pdf(client, user, code, year=2024) -> bytes:
    response = _download(client, user, reverse("projects:table_pdf", args=[year, code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response.content


def _reference_sequence(ref) -> list[str]:
    budget, fiscal, _ = ref.amounts
    sequence = [
        f"{ref.table_number}.{ref.table_name}绩效目标表",
        "136001承德高新技术产业开发区宣传中心本级",
        "单位：万元",
        "项目编码",
        ref.code,
        "项目名称",
        ref.name,
        "预算数",
        f"{Decimal(budget):.2f}",
        "其中：财政资金",
        f"{Decimal(fiscal):.2f}",
        "其他资金",
        ref.fund_use,
        *ref.schedule.keys(),
        *(v for v in ref.schedule.values() if v),
        "绩效目标",
        ref.target,
        "一级指标",
        "二级指标",
        "三级指标",
        "绩效指标描述",
        "指标值",
        "指标值确定依据",
    ]
    previous_primary = None
    for row in ref.indicator_rows:
        cells = list(row)
        if cells[0] == previous_primary:
            cells = cells[1:]
        previous_primary = row[0]
        sequence += cells
    return sequence


@pytest.mark.parametrize("ref", read_projects(), ids=lambda r: r.table_name)
def test_table_pdf_holds_every_reference_value_in_order(client, auditor, ref):
    data = _table_pdf(client, auditor, ref.code)
    texts = page_texts(data)
    assert len(texts) == 1
    assert_in_order(texts[0], [*_reference_sequence(ref), "第 1 页 共 1 页"])


def test_table_pdf_embeds_a_cjk_font(client, auditor, reference):
    data = _table_pdf(client, auditor, "13081123P000182100018")
    fonts = set()
    for page in reader(data).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("NotoSerifCJK" in name or "Noto" in name for name in fonts), fonts


def test_long_group_repeats_its_labels_on_the_next_page(client, auditor, reference):
    project = add_long_group("13081123P000182100018")
    texts = page_texts(_table_pdf(client, auditor, project.code))
    assert len(texts) >= 2
    for page in texts[1:]:
        lines = [line for line in page.splitlines() if line.strip()]
        # The column heads repeat, then the group labels open the page again.
        assert lines[0].replace(" ", "").startswith("一级指标二级指标三级指标")
        assert lines[1].strip() == "产出指标" or "产出指标" in lines[1]
    assert_in_order(texts[1], ["产出指标", "数量指标"])
    # Every row is printed exactly once.
    joined = "".join(texts)
    for i in range(40):
        assert joined.count(f"长表指标{i:02d}") == 1
    assert "第 2 页 共" in texts[1]
    # Every page names its table and, the table being a draft, says so.
    for page in texts:
        assert "1.承德高新区新闻合办专项绩效目标表" in page and "草稿 · 未经审核" in page


def test_user_written_urls_are_printed_not_fetched(client, auditor, reference):
    hostile = '<img src="file:///etc/passwd"> http://127.0.0.1:9/x.png <link rel=stylesheet href="http://127.0.0.1:9/a.css">'
    Project.objects.filter(code="13081123P000182100018").update(fund_use=hostile)
    fetched = []
    real_fetch = pdf.StaticOnlyFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return real_fetch(self, url, headers)

    with mock.patch.object(pdf.StaticOnlyFetcher, "fetch", spy):
        data = _table_pdf(client, auditor, "13081123P000182100018")
    assert fetched == []
    assert_in_order(
        page_texts(data)[0], ['<img src="file:///etc/passwd">', "http://127.0.0.1:9/x.png"]
    )


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "http://127.0.0.1:9/x.png", "https://example.com/a"]
)
def test_fetcher_refuses_everything_but_static_files(url):
    fetcher = pdf.StaticOnlyFetcher()
    with pytest.raises(pdf.BlockedFetch):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


@pytest.mark.parametrize(
    "tail",
    [
        "css/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "css/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "css/../../../../../../../../etc/passwd#/static/css/pdf.css",
        "css/../../../../../../../../etc/passwd?/static/css/pdf.css",
        "css/pdf.css/../../../../../../../../../etc/passwd",
        # The fragment is not part of the file opened, but a naive resolve walks through it.
        "file:///etc/passwd#/../..{static}/css/pdf.css",
    ],
)
def test_fetcher_cannot_be_walked_out_of_the_static_dir(tail):
    from django.contrib.staticfiles import finders

    static = Path(finders.find("css/pdf.css")).parent.parent
    url = tail if tail.startswith("file:") else f"file://{static}/{tail}"
    url = url.replace("{static}", str(static))
    fetcher = pdf.StaticOnlyFetcher()
    with pytest.raises(pdf.BlockedFetch):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_fetcher_serves_a_static_file_named_with_escapes_query_and_fragment():
    from django.contrib.staticfiles import finders

    static = Path(finders.find("css/pdf.css")).parent.parent
    response = pdf.StaticOnlyFetcher().fetch(f"file://{static}/css/pdf%2Ecss?v=1#top")
    assert b"@page" in response.read()


def test_fetcher_serves_the_apps_own_stylesheet():
    from django.contrib.staticfiles import finders

    path = finders.find("css/pdf.css")
    response = pdf.StaticOnlyFetcher().fetch(f"file://{path}")
    assert b"@page" in response.read()


def test_booklet_pdf_has_every_part_bookmarks_and_page_numbers(client, auditor, reference):
    response = _download(client, auditor, reverse("unit_year:booklet_pdf", args=["136001", 2024]))
    assert response.status_code == 200
    data = response.content
    texts = page_texts(data)
    # The cover bears no number, the 目录 is numbered apart (I), and the body counts from
    # 第一部分 on, with its own total; the 目录 gives body page numbers.
    assert "页" not in texts[0] and texts[1].splitlines()[-1] == "I"
    assert texts[2].startswith("第一部分")
    total = len(texts) - 2
    assert total >= 7
    for number, text in enumerate(texts[2:], 1):
        assert f"第 {number} 页 共 {total} 页" in text
    first_table = next(i for i, t in enumerate(texts) if t.startswith("1.承德高新区新闻合办专项"))
    toc_line = next(line for line in texts[1].splitlines() if "1.承德高新区" in line)
    assert toc_line.rstrip().endswith(f" {first_table - 1}")
    # The dots leading to each number are one drawn background per entry, not a glyph per dot
    # (a 200-table 目录 drew 20 000 of them).
    assert "." not in toc_line.replace("1.承德", "")
    full = "\n".join(texts)
    sections = read_sections()
    assert_in_order(
        full,
        [
            "第一部分",
            "部门整体绩效目标",
            "一、总体绩效目标",
            reference.overall_target[:30],
            "二、分项绩效目标",
        ]
        + [piece for s in sections for piece in (s.name, *[c for row in s.indicators for c in row])]
        + ["三、工作保障措施", "完成承德高新区形象宣传片制作", "第二部分", "预算项目绩效目标"]
        + [piece for ref in read_projects() for piece in _reference_sequence(ref)],
    )
    titles = outline_titles(data)
    assert [t for level, t in titles if level == 1] == [
        "目录",
        "第一部分 部门整体绩效目标",
        "第二部分 预算项目绩效目标",
    ]
    # It opens with the bookmarks shown beside the pages.
    assert reader(data).trailer["/Root"]["/PageMode"] == "/UseOutlines"
    assert [t for level, t in titles if t.endswith("绩效目标表")] == [
        f"{r.table_number}.{r.table_name}绩效目标表" for r in read_projects()
    ]
    assert all(level == 2 for level, t in titles if t.endswith("绩效目标表"))
    # Each project table starts on a page of its own.
    starts = [i for i, t in enumerate(texts) if "绩效目标表" in t.splitlines()[0]]
    assert len(starts) == 5


def test_repeated_download_is_served_without_rendering_again(client, auditor, reference):
    url = reverse("projects:table_pdf", args=[2024, "13081123P000182100018"])
    with mock.patch.object(pdf, "table_pdf", wraps=pdf.table_pdf) as render:
        first = _download(client, auditor, url)
        second = _download(client, auditor, url)
        assert render.call_count == 1
        assert first.content == second.content
        assert first["ETag"] == second["ETag"] and first["Last-Modified"]
        not_modified = _download(client, auditor, url, if_none_match=first["ETag"])
        assert not_modified.status_code == 304
        Indicator.objects.filter(project__code="13081123P000182100018", name="完成时间").update(
            value_text="2024年12月前"
        )
        third = _download(client, auditor, url, if_none_match=first["ETag"])
        assert third.status_code == 200 and third["ETag"] != first["ETag"]
        assert render.call_count == 2
        assert "2024年12月前" in page_texts(third.content)[0]


@pytest.mark.slow
def test_booklet_cache_notices_a_change_in_part_one(client, auditor, reference):
    url = reverse("unit_year:booklet_pdf", args=["136001", 2024])
    first = _download(client, auditor, url)
    reference.safeguards += "\n新增保障措施"
    reference.save()
    second = _download(client, auditor, url)
    assert first["ETag"] != second["ETag"]
    assert "新增保障措施" in "".join(page_texts(second.content))


def test_outsider_cannot_download(client, outsider, reference):
    client.force_login(outsider)
    assert (
        client.get(reverse("projects:table_pdf", args=[2024, "13081123P000182100018"])).status_code
        == 404
    )
    assert client.get(reverse("unit_year:booklet_pdf", args=["136001", 2024])).status_code == 404


def test_download_filename_is_the_table_heading(client, auditor, reference):
    response = _download(
        client, auditor, reverse("projects:table_pdf", args=[2024, "13081123P000185100019"])
    )
    assert "filename*=utf-8''5.%E8%80%81" in response["Content-Disposition"]


def _booklet_facts(data: bytes):
    texts = page_texts(data)
    return len(texts), outline_titles(data), [t.splitlines()[-1] for t in texts[1:]]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.slow
def test_booklet_in_runs_on_several_cores_equals_the_single_layout(reference, monkeypatch):
    from projects.documents import pdf_runs
    from projects.documents.booklet import department_tables

    department_year = type(reference).objects.with_part_one(2024).get(pk=reference.pk)
    tables = department_tables(department_year)
    single = pdf.booklet_pdf(build_part_one(department_year), tables)
    monkeypatch.setattr(pdf, "RUNS_MIN_TABLES", 2)
    monkeypatch.setattr(pdf_runs, "RUN_TABLES", 2)
    monkeypatch.setattr(pdf.multiprocessing, "cpu_count", lambda: 2)
    # As in a job worker's process: the runs, then the cover and the page numbers, are laid out
    # in processes forked from this one (threads an earlier test left would send them to the
    # fork server instead; tests/test_booklet_runs.py pins that path).
    monkeypatch.setattr(pdf, "_single_threaded", lambda: True)
    from django.core.cache import cache

    cache.clear()
    with mock.patch.object(pdf, "_pool", wraps=pdf._pool) as pool:
        joined = pdf.booklet_pdf(build_part_one(department_year), tables)
    functions = [call.args[0] for call in pool.call_args_list]
    assert functions == [pdf_runs._draw_run, pdf_runs._draw_last]
    assert _booklet_facts(joined) == _booklet_facts(single)
    assert "".join(page_texts(joined)) == "".join(page_texts(single))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_booklet_past_its_time_limit_is_stopped_with_a_chinese_page(
    reference, monkeypatch, settings
):
    from django.test import Client

    from conftest import make_user
    from departments.models import Role

    auditor = make_user("auditor-timeout", reference.department, Role.AUDITOR)
    monkeypatch.setattr(pdf, "RUNS_MIN_TABLES", 2)
    monkeypatch.setattr(pdf.multiprocessing, "cpu_count", lambda: 2)
    # As in a job worker's process: the layout is forked from this one (the fork server's
    # workers, which threads an earlier test left would call on, are bound by the same limit).
    monkeypatch.setattr(pdf, "_single_threaded", lambda: True)
    settings.PDF_RENDER_TIMEOUT = 0
    client = Client(raise_request_exception=False)
    client.force_login(auditor)
    response = client.get(reverse("unit_year:booklet_pdf", args=["136001", 2024]))
    assert response.status_code == 503
    assert "生成文件用时过长" in response.content.decode()


def test_print_opens_the_same_pdf_in_the_browser(client, finance):
    # Printing the HTML page loses the form's repeated heads and group labels on long tables;
    # 打印 opens the PDF itself, the form as it is filed.
    from django.urls import reverse

    code = "13081123P000182100018"
    client.force_login(finance)
    page = client.get(reverse("projects:detail", args=[2024, code])).content.decode()
    pdf_url = reverse("projects:table_pdf", args=[2024, code])
    assert f'href="{pdf_url}?inline=1" target="_blank"' in page and "data-print" not in page
    shown = client.get(pdf_url + "?inline=1")
    assert shown["Content-Disposition"].startswith("inline")
    assert shown.content == client.get(pdf_url).content
    assert client.get(pdf_url)["Content-Disposition"].startswith("attachment")


def test_long_labels_wrap_at_their_natural_break_in_the_pdf(reference):
    # The narrow label column wrapped 资金支出计/划（%） and 其中：财政资/金 mid-word.
    from django.template.loader import render_to_string

    from departments.templatetags.booklet import label_breaks
    from projects.documents.booklet import department_tables

    assert label_breaks("资金支出计划（%）") == "资金支出<br>计划（%）"
    assert label_breaks("<b>") == "&lt;b&gt;"
    assert label_breaks("项目资金（万元）") == "项目资金<br>（万元）"  # the 自评表's label column
    table = department_tables(reference)[0]
    html = render_to_string("pdf/_target_table.html", {"table": table, "grid": table.grid_rows()})
    for label in ("预算规模及<br>资金用途", "其中：<br>财政资金", "指标值<br>确定依据"):
        assert label in html


def test_the_booklet_marks_every_table_not_yet_approved(client, auditor, reference):
    # An auditor must tell from the printout what was approved.
    approved, submitted = "13081123P000182100018", "13081123P000185100019"
    Project.objects.filter(code=approved).update(status="approved")
    Project.objects.filter(code=submitted).update(status="submitted")
    client.force_login(auditor)
    data = client.get(reverse("unit_year:booklet_pdf", args=["136001", 2024])).content
    pages = page_texts(data)
    headings = {p.heading: p.code for p in Project.objects.all()}
    headed = {}
    for page in pages:
        lines = [line.replace(" ", "") for line in page.splitlines() if line.strip()]
        if lines and lines[0] in headings:  # the page a table begins on
            headed[headings[lines[0]]] = "".join(lines[:2])
    assert "草稿·未经审核" not in headed[approved] and "待审核" not in headed[approved]
    assert "已提交·待审核" in headed[submitted]
    drafts = Project.objects.filter(status="draft")
    assert drafts.exists()
    for project in drafts:
        assert "草稿·未经审核" in headed[project.code]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.slow
@pytest.mark.parametrize("parts", [1, 2])
def test_a_viewer_numbers_the_booklets_pages_as_they_are_printed(reference, monkeypatch, parts):
    # The viewer's page box showed 1–11 while the pages print 封面, I and 第 1–9 页.
    from django.core.cache import cache

    from projects.documents.booklet import department_tables

    if parts == 2:
        monkeypatch.setattr(pdf, "RUNS_MIN_TABLES", 2)
        monkeypatch.setattr(pdf.multiprocessing, "cpu_count", lambda: 2)
    cache.clear()
    department_year = type(reference).objects.with_part_one(2024).get(pk=reference.pk)
    data = pdf.booklet_pdf(build_part_one(department_year), department_tables(department_year))
    labels = reader(data).page_labels
    assert labels[:4] == ["封面", "I", "1", "2"]
    assert labels[-1] == str(len(labels) - 2)


def test_a_small_booklet_is_laid_out_without_measuring_its_tables(reference):
    """The body once (no group of the reference crosses a page), the cover and 目录 once: no
    document laid out just to measure a table."""
    from projects.documents.booklet import department_tables

    department_year = type(reference).objects.with_part_one(2024).get(pk=reference.pk)
    with mock.patch.object(pdf, "_lay_out", wraps=pdf._lay_out) as lay_out:
        data = pdf.booklet_pdf(build_part_one(department_year), department_tables(department_year))
    assert lay_out.call_count == 2
    texts = page_texts(data)
    assert [t.splitlines()[-1] for t in texts[2:]] == [f"第 {n} 页 共 9 页" for n in range(1, 10)]
