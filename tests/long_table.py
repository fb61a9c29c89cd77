"""The long table the print tests share: 40 more 三级 under one project's 产出指标/数量指标,
with descriptions that take two lines, so that its forms run over several pages."""

from indicators.models import Indicator, SecondaryCategory
from projects.models import Project

ROWS = 40


def add_long_group(code: str = "13081123P000182100018") -> Project:
    project = Project.objects.get(code=code)
    quantity = SecondaryCategory.objects.get(primary__framework=project.framework, name="数量指标")
    Indicator.objects.bulk_create(
        Indicator(
            project=project,
            category=quantity,
            order=10 + i,
            name=f"长表指标{i:02d}",
            description=f"第{i:02d}项工作的说明，写得比较长，占两行以上的宽度",
            value_text=f"≥{i}次",
            basis="年度工作计划",
        )
        for i in range(ROWS)
    )
    return project
