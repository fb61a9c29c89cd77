"""Execution monitoring: actual spending beside the plan, the lag flag at and around 10 points,
the chart, and the unit's list of lagging projects."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from projects.models import Project, ScheduleEntry
from projects.monitoring import milestones

pytestmark = pytest.mark.django_db
CODE = "13081123P000182100018"  # plan: 10月底 50%, 12月底 100%
URL = reverse("projects:monitoring", args=[2024, CODE])


def _points():
    project = Project.objects.prefetch_related("schedule").get(code=CODE)
    return {m.month: m for m in milestones(project, [3, 6, 10, 12])}


@pytest.mark.parametrize(
    ("actual", "lagging"),
    [("40", False), ("39.99", True), ("41", False), ("30", True), ("50", False)],
)
def test_lag_flag_at_and_around_ten_points(client, finance, actual, lagging):
    client.force_login(finance)
    client.post(URL, {"actual_10": actual})
    point = _points()[10]
    assert point.actual == D(actual) and point.planned == 50
    assert point.lagging is lagging


def test_plan_carries_forward_between_milestones(reference):
    points = _points()
    assert [(m, p.planned, p.planned_entered) for m, p in sorted(points.items())] == [
        (3, 0, False),
        (6, 0, False),
        (10, 50, True),
        (12, 100, True),
    ]


def test_actual_spending_is_validated_and_plan_kept(client, finance):
    client.force_login(finance)
    response = client.post(URL, {"actual_6": "30", "actual_10": "20"}, follow=True)
    assert "10月底的实际累计支出不能比前一节点小" in response.content.decode()
    assert _points()[6].actual is None
    response = client.post(URL, {"actual_3": "120"}, follow=True)
    assert "应在 0% 到 100% 之间" in response.content.decode()
    client.post(URL, {"actual_3": "10", "actual_6": "30", "actual_10": "45", "actual_12": "100"})
    points = _points()
    assert [points[m].actual for m in (3, 6, 10, 12)] == [10, 30, 45, 100]
    assert points[10].planned == 50 and points[12].planned == 100


def test_page_shows_the_chart_and_flags(client, finance):
    client.force_login(finance)
    client.post(URL, {"actual_10": "20"})
    html = client.get(URL).content.decode()
    assert "<svg" in html and 'class="actual-point lagging"' in html
    assert "执行滞后超过 10 个百分点" in html


def test_read_only_users_cannot_record(client, auditor):
    client.force_login(auditor)
    assert client.post(URL, {"actual_10": "20"}).status_code == 403
    assert _points()[10].actual is None


def test_unit_page_lists_lagging_projects(client, finance, auditor):
    client.force_login(finance)
    client.post(URL, {"actual_10": "20"})
    client.post(
        reverse("projects:monitoring", args=[2024, "13081123P00018610001Y"]), {"actual_12": "95"}
    )
    client.force_login(auditor)
    html = client.get(reverse("unit_year:monitoring", args=["136001", 2024])).content.decode()
    lagging = html.split('id="lagging"')[1].split("</ul>")[0]
    assert "1.承德高新区新闻合办专项" in lagging and "10月底 计划 50%、实际 20%" in lagging
    assert "8.新闻宣传管理工作" not in lagging  # 5 points behind is not lagging


@pytest.mark.parametrize("value", ["NaN", "Infinity", "三十"])
def test_a_value_that_is_not_a_number_is_refused(client, finance, value):
    client.force_login(finance)
    response = client.post(URL, {"actual_10": value}, follow=True)
    assert "未保存：请填写数字" in response.content.decode()
    assert not ScheduleEntry.objects.filter(actual_percent__isnull=False).exists()


def test_only_a_milestone_after_a_planned_one_carries_the_plan_on():
    from decimal import Decimal
    from types import SimpleNamespace

    from projects.monitoring import milestones

    entries = [SimpleNamespace(month=10, planned_percent=Decimal(50), actual_percent=None)]
    project = SimpleNamespace(schedule=SimpleNamespace(all=lambda: entries))
    points = milestones(project, [3, 6, 10, 12])
    assert [(p.month, p.planned_entered, p.carried) for p in points] == [
        (3, False, False),
        (6, False, False),
        (10, True, False),
        (12, False, True),
    ]


def test_the_chart_places_milestones_by_month_and_keeps_every_label_inside():
    import re
    from decimal import Decimal

    from projects.monitoring import Milestone, chart_svg

    points = [
        Milestone(m, Decimal(p), True, None) for m, p in ((3, 10), (6, 40), (10, 70), (12, 100))
    ]
    svg = str(chart_svg(points))
    width = int(re.search(r'width="(\d+)"', svg)[1])
    labels = {
        t: float(x)
        for x, t in re.findall(r'<text x="([\d.]+)" y="\d+" font-size="12"[^>]*>([^<]+)<', svg)
    }
    # Spaced by time: March to June is three months, June to October four.
    assert (
        round((labels["10月底"] - labels["6月底"]) / (labels["6月底"] - labels["3月底"]), 2) == 1.33
    )
    assert labels["12月底"] + 3 * 12 / 2 <= width  # the last label (about 36 px) is not cut off
    legend_y = float(
        re.search(r'<g font-size="11"><line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)"', svg)[1]
    )
    plot_top = min(float(y) for y in re.findall(r'<line x1="44" x2="\d+" y1="([\d.]+)"', svg))
    assert legend_y < plot_top  # the legend sits above the plot, not on it
