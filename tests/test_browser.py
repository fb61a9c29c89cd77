"""A real browser (Playwright driving Debian's Chromium) enters a project from nothing and
prints it: suggestions, live checks, saving, the table and its PDF."""

import os
import re
import shutil
import unicodedata

import pytest
from django.db import connections

from conftest import PASSWORD, make_user
from departments.models import Role
from projects.models import Project
from tests.long_table import add_long_group
from tests.pdf_text import page_texts

# Playwright's sync API runs an event loop in this thread; the test's own ORM use is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        # Anything the Content-Security-Policy refused (an inline script or style) is an error.
        page.on(
            "console",
            lambda message: (
                "Content Security Policy" in message.text and errors.append(message.text)
            ),
        )
        yield page
        browser.close()
        # Inside Playwright's context the test's queries ran on a connection of their own; close
        # it here, or it outlives the test and keeps the test database from being dropped.
        connections.close_all()
        assert errors == [], errors


@pytest.fixture
def clerk(reference):
    return make_user("clerk", reference.department, Role.FINANCE)


ROWS = [
    # 二级, 三级 (typed), value: (operator, number, unit) or text, basis
    ("数量指标", "培训人次", ("≥", "300", "人次"), "计划标准"),
    ("质量指标", "培训合格率", ("≥", "95", "%"), "行业标准"),
    ("时效指标", "培训完成时间", "2024年10月底前", "计划标准"),
    ("成本指标", "项目总成本", ("≤", "20", "万元"), "计划标准"),
    ("经济效益指标", "节约支出", ("≥", "1", "万元"), "历史标准"),
    ("社会效益指标", "宣传干部业务能力", "明显提升", "其他标准"),  # vague: fixed below
    ("生态效益指标", "对生态环境的影响", "无负面影响", "其他标准"),
    ("可持续影响指标", "长效培训机制", "建立", "其他标准"),
    ("服务对象满意度指标", "参训人员满意度", ("≥", "90", "%"), "行业标准"),
]


def _login(page, live_server, username: str) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def _fill_row(page, secondary, name, value, basis):
    group = page.locator("tbody.ind-group", has=page.locator(".secondary-name", has_text=secondary))
    group.locator(".add-row").click()
    row = group.locator("tr.ind-row").last
    row.locator(".ind-name").fill(name)
    row.locator("textarea").fill(f"{name}（年度目标）")
    if isinstance(value, tuple):
        operator, number, unit = value
        row.locator("select").select_option(operator)
        row.locator(".ind-number").fill(number)
        row.locator(".ind-unit").fill(unit)
    else:
        row.locator("select").select_option("定性")
        row.locator(".ind-text").fill(value)
    row.locator('input[name$="-basis"]').fill(basis)
    return row


def test_finance_enters_a_project_from_nothing_and_prints_it(live_server, browser_page, clerk):
    from playwright.sync_api import expect

    page = browser_page
    _login(page, live_server, "clerk")
    page.goto(live_server.url + "/projects/")
    page.click("text=新建项目")
    page.wait_for_url("**/projects/new/")

    page.fill("#id_table_number", "10")
    page.fill("#id_table_name", "宣传干部培训")
    page.fill("#id_code", "13081123P000199900001")
    page.fill("#id_name", "宣传干部业务培训")
    page.select_option("#id_section", label="宣传科")
    page.fill("#id_budget_total", "20")
    page.fill("#id_fiscal_funds", "20")
    page.fill("#id_fund_use", "组织全区宣传干部业务培训")
    page.fill("#id_schedule_6", "40")
    page.fill("#id_schedule_10", "80")
    page.fill("#id_schedule_12", "100")
    page.fill("#id_target", "全年培训宣传干部不少于300人次，参训人员满意度不低于90%。")

    # The first row is picked from the library's suggestions.
    group = page.locator(
        "tbody.ind-group", has=page.locator(".secondary-name", has_text="数量指标")
    )
    group.locator(".add-row").click()
    first = group.locator("tr.ind-row").last
    first.locator(".ind-name").fill("培训")
    first.locator(".suggestions li", has_text="培训人次").click()
    assert first.locator("select").input_value() == "≥"
    assert first.locator(".ind-unit").input_value() == "人次"
    first.locator(".ind-number").fill("300")
    for secondary, name, value, basis in ROWS[1:]:
        _fill_row(page, secondary, name, value, basis)

    # A value that repeats the indicator's name is flagged beside its row while typing...
    satisfaction = page.locator(
        "tbody.ind-group", has=page.locator(".secondary-name", has_text="服务对象满意度指标")
    )
    row = satisfaction.locator("tr.ind-row").last
    row.locator("select").select_option("定性")
    row.locator(".ind-text").fill("参训人员满意度")
    page.locator("#live-findings li[data-code=VALUE_REPEATS_TEXT]").wait_for()
    assert "与三级指标名称相同" in row.locator(".row-finding").inner_text()
    # ...and the flag goes once it is fixed.
    row.locator("select").select_option("≥")
    row.locator(".ind-number").fill("90")
    row.locator(".ind-unit").fill("%")
    page.locator("#live-findings li[data-code=VALUE_REPEATS_TEXT]").wait_for(state="detached")
    # A vague 定性 value is an error with its reason and fix; the standard grades are offered.
    vague = page.locator("#live-findings li[data-code=VALUE_VAGUE]")
    vague.wait_for()
    assert "定性指标值含糊" in vague.inner_text() and "好/较好/一般/较差" in vague.inner_text()
    social = page.locator(
        "tbody.ind-group", has=page.locator(".secondary-name", has_text="社会效益指标")
    ).locator("tr.ind-row")
    assert social.locator(".ind-text").get_attribute("list") == "grade-sets"
    social.locator(".ind-text").fill("好/较好/一般/较差")
    vague.wait_for(state="detached")
    # A bound written as = gets a one-click fix that puts the suggested value in the row.
    row.locator("select").select_option("=")
    bound = page.locator("#live-findings li[data-code=BOUND_AS_EQUAL]")
    bound.wait_for()
    row.locator(".row-finding button", has_text="改为 ≥90%").click()
    assert row.locator("select").input_value() == "≥"
    bound.wait_for(state="detached")
    expect(page.locator("#check-status")).to_have_text(re.compile(r"^不能提交 0 · 警告 0"))

    page.click("#save-button")
    page.wait_for_url("**/projects/2024/13081123P000199900001/")
    assert "已保存：10.宣传干部培训绩效目标表" in page.content()
    project = Project.objects.get(code="13081123P000199900001")
    assert [i.name for i in project.indicators.in_table_order()] == [r[1] for r in ROWS]
    cells = page.locator("table.target-table.grid tbody tr").all_inner_texts()
    assert cells[0].split("\t")[:5] == [
        "产出指标",
        "数量指标",
        "培训人次",
        "年度内开展培训的人次",
        "≥300人次",
    ]

    with page.expect_download() as download:
        page.click("text=下载 PDF")
    path = download.value.path()
    data = open(path, "rb").read()
    assert data.startswith(b"%PDF")
    text = "".join(page_texts(data))
    assert "10.宣传干部培训绩效目标表" in text and "≥90%" in text


def test_chief_sees_grades_while_typing_and_saves_several_ratings_at_once(
    live_server, browser_page, clerk
):
    from departments.models import Section, SectionRating

    make_user("rater", clerk.memberships.get().department, Role.CHIEF, Section.objects.all())
    page = browser_page
    _login(page, live_server, "rater")
    page.goto(live_server.url + "/departments/136001/2024/ratings/")
    rows = page.locator("tr.rating-row")
    rows.nth(0).locator(".rating-actual").fill("95")
    rows.nth(1).locator(".rating-actual").fill("70")
    rows.nth(2).locator(".rating-actual").fill("120")
    assert [rows.nth(i).locator(".computed").inner_text() for i in range(3)] == [
        "良",
        "无（空档）",
        "优",
    ]
    assert rows.nth(2).locator(".over-100").is_visible()
    assert not rows.nth(0).locator(".over-100").is_visible()
    rows.nth(1).locator("select").select_option("中")
    rows.nth(1).locator('input[name$="-reason"]').fill("人手不足")
    page.click("text=保存本页评级")
    page.wait_for_selector("text=已保存 3 项评级")
    assert SectionRating.objects.count() == 3


def test_the_chief_reviews_with_the_drafted_opinion(live_server, browser_page, clerk):
    from departments.models import Section
    from indicators.models import Indicator
    from projects.workflow import project_submit
    from tests.sound import make_sound

    code = "13081123P000182100018"
    make_sound(code)
    Indicator.objects.filter(project__code=code, category__name="时效指标").update(
        value_text="≥95%"
    )  # a warning: 良 is suggested
    project_submit(project=Project.objects.get(code=code), user=clerk)
    make_user("reviewer", clerk.memberships.get().department, Role.CHIEF, Section.objects.all())
    page = browser_page
    _login(page, live_server, "reviewer")
    page.goto(live_server.url + f"/projects/2024/{code}/")
    comment = page.locator("#review-comment")
    assert page.locator('input[name=grade][value="良"]').is_checked()
    assert comment.input_value().startswith("经审核，该项目绩效目标基本明确，同意。")
    assert "时效指标“完成时间”的指标值“≥95%”没有写明日期" in comment.input_value()
    # Another grade rewrites the untouched draft for that grade...
    page.locator('input[name=grade][value="中"]').check()
    assert comment.input_value().startswith("经审核，该项目绩效目标存在以下问题")
    # ...but never text the chief has written.
    comment.fill("请写明完成时间。")
    page.locator('input[name=grade][value="优"]').check()
    assert comment.input_value() == "请写明完成时间。"
    page.click("text=提交审核结果")
    page.wait_for_url(f"**/projects/2024/{code}/")
    project = Project.objects.get(code=code)
    assert (project.review_grade, project.suggested_grade) == ("优", "良")
    assert project.review_comment == "请写明完成时间。"


def test_a_control_character_is_named_in_the_editor_and_nothing_typed_is_lost(
    live_server, browser_page, clerk
):
    code = "13081123P000182100018"
    page = browser_page
    _login(page, live_server, "clerk")
    page.goto(live_server.url + f"/projects/2024/{code}/edit/")
    page.fill("#id_fund_use", "签订协议\x07按时播放")
    expect_status = page.locator("#check-status")
    expect_status.filter(has_text="控制字符").wait_for()
    page.click("#save-button")
    assert page.url.endswith(f"/projects/2024/{code}/edit/")  # not sent, not an error page
    assert page.locator("#id_fund_use").input_value() == "签订协议\x07按时播放"
    assert Project.objects.get(code=code).fund_use == "签订协议、按时播放高新区新闻"


def test_a_new_cost_row_starts_as_a_ceiling_in_money(live_server, browser_page, clerk):
    code = "13081123P000182100018"
    page = browser_page
    _login(page, live_server, "clerk")
    page.goto(live_server.url + f"/projects/2024/{code}/edit/")
    for secondary, operator, unit in (("成本指标", "≤", "万元"), ("数量指标", "≥", "")):
        group = page.locator(
            "tbody.ind-group", has=page.locator(".secondary-name", has_text=secondary)
        )
        group.locator(".add-row").click()
        row = group.locator("tr.ind-row").last
        assert row.locator("select").input_value() == operator
        assert row.locator(".ind-unit").input_value() == unit


def test_a_finding_is_a_link_to_its_row(live_server, browser_page, clerk):
    code = "13081123P000182100018"
    page = browser_page
    _login(page, live_server, "clerk")
    page.goto(live_server.url + f"/projects/2024/{code}/edit/")
    link = page.locator("#live-findings .where-link").first
    link.wait_for()
    link.click()
    focused = page.evaluate(
        "(() => { const a = document.activeElement;"
        " return !!a.closest('tr.ind-row, [data-anchor]') && !a.closest('#live-findings'); })()"
    )
    assert focused


def test_text_areas_grow_with_their_text(live_server, browser_page, clerk):
    code = "13081123P000182100018"
    page = browser_page
    _login(page, live_server, "clerk")
    page.goto(live_server.url + f"/projects/2024/{code}/edit/")
    area = page.locator("#id_fund_use")
    before = area.evaluate("a => a.clientHeight")
    area.fill("\n".join(f"第{i}项资金用途" for i in range(12)))
    after = area.evaluate("a => a.clientHeight")
    assert after > before * 2
    assert area.evaluate("a => a.scrollHeight <= a.clientHeight + 4")  # all of it in view
    assert "警告和提示不影响保存和提交" in page.locator("#blocking-note").inner_text()


def test_what_blocks_saving_is_listed_first_and_links_to_its_field(
    live_server, browser_page, clerk
):
    from playwright.sync_api import expect

    code = "13081123P000182100018"
    page = browser_page
    _login(page, live_server, "clerk")
    page.goto(live_server.url + f"/projects/2024/{code}/edit/")
    page.fill("#id_name", "")
    first = page.locator("#live-findings li").first
    expect(first).to_contain_text("不能保存")
    expect(first).to_contain_text("项目名称")
    expect(page.locator("#check-status")).to_have_text(re.compile(r"^不能保存 1 · 不能提交"))
    first.locator(".where-link").click()
    assert page.evaluate("document.activeElement.id") == "id_name"
    page.fill("#id_name", "承德高新区新闻合办专项")
    expect(page.locator("#live-findings .finding-save")).to_have_count(0)


def test_printing_the_page_of_a_long_table_repeats_the_grid_head_on_every_page(
    live_server, browser_page, clerk
):
    # The browser's own print (Ctrl+P) of the project page, as Chromium prints it to PDF: the
    # grid's column heads start every page, and no page ends on the heads alone.

    code = "13081123P000182100018"
    add_long_group(code)
    page = browser_page
    _login(page, live_server, "clerk")
    page.goto(live_server.url + f"/projects/2024/{code}/")
    # Chromium's PDF maps some characters to their Kangxi radical forms (⼀ for 一): NFKC.
    pages = [
        unicodedata.normalize("NFKC", text)
        for text in page_texts(page.pdf(format="A4", print_background=False))
    ]
    assert len(pages) >= 3
    for text in pages:
        assert "一级指标" in text and "确定依据" in text
    # The heads are followed by rows on every page, and every row is printed once (长 comes
    # out as the radical ⻓, which NFKC leaves: the names are matched without it).
    assert all("表指标" in text for text in pages)
    whole = "".join(pages)
    assert all(whole.count(f"表指标{i:02d}") == 1 for i in range(40))


def test_a_control_character_on_any_form_is_stopped_before_it_is_sent(
    live_server, browser_page, clerk
):
    # The 绩效自评 form (no editor script of its own): a vertical tab pasted into 实际完成情况
    # would be refused by the server with a page that cannot show the form again.
    from indicators.models import SelfEvaluation

    code = "13081123P000185100019"
    page = browser_page
    _login(page, live_server, "clerk")
    page.goto(live_server.url + f"/projects/2024/{code}/evaluation/")
    page.fill("#executed", "2.9")
    page.fill("#outcome", "全年完成\x0b任务")
    page.click("button:has-text('保存自评')")
    page.wait_for_timeout(500)
    assert page.url.endswith(f"/projects/2024/{code}/evaluation/")
    assert page.input_value("#outcome") == "全年完成\x0b任务"
    assert page.evaluate("document.activeElement.id") == "outcome"
    assert not SelfEvaluation.objects.filter(project__code=code).exists()


def test_a_schedule_finding_links_to_its_own_milestone(live_server, browser_page, clerk):
    from playwright.sync_api import expect

    code = "13081123P000182100018"
    page = browser_page
    _login(page, live_server, "clerk")
    page.goto(live_server.url + f"/projects/2024/{code}/edit/")
    page.fill("#id_schedule_12", "90")
    finding = page.locator("#live-findings li[data-code=SCHEDULE_NOT_COMPLETE]")
    expect(finding).to_have_count(1)
    finding.locator(".where-link").click()
    assert page.evaluate("document.activeElement.name") == "schedule_12"


def test_a_job_done_before_its_page_opens_still_downloads_its_file(
    live_server, browser_page, clerk, settings
):
    """A large unit's file is a job; when the job is done by the time its page opens (a fast
    worker), the download starts as it would have after the bar; a later visit to the page
    does not download again."""
    settings.JOB_MIN_TABLES, settings.JOB_BACKEND = 1, "inline"
    page = browser_page
    _login(page, live_server, "clerk")
    from jobs.models import Job, Kind, State

    # A job finished between the redirect and the page: as a worker quicker than the request.
    job = Job.objects.create(
        kind=Kind.DATA_XLSX,
        department=clerk.memberships.first().department,
        year=2024,
        requested_by=clerk,
        stamp="browser",
        filename="数据工作簿.xlsx",
        state=State.RUNNING,
    )
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    job.file = storages["jobs"].save("jobs/browser.xlsx", ContentFile(b"PK\x03\x04"))
    job.state = State.DONE
    job.save()
    with page.expect_download(timeout=15000) as download:
        page.goto(f"{live_server.url}/jobs/{job.token}/?start=1", wait_until="commit")
    assert download.value.suggested_filename == "数据工作簿.xlsx"
    assert "start" not in page.url  # reloading or going back here downloads nothing again
    downloads = []
    page.on("download", lambda d: downloads.append(d))
    page.goto(f"{live_server.url}/jobs/{job.token}/")
    page.wait_for_timeout(1500)
    assert downloads == []
