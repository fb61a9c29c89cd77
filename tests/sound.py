"""The reference projects made into targets a reviewer passes (the published ones cannot be
submitted: their values repeat their names). Written with `update`, so no history row is added."""

from indicators.models import Indicator
from perfbudget.lib.numbers import format_number
from projects.models import Project

SOUND_VALUES = {
    "数量指标": "≥365天",
    "质量指标": "100%",
    "时效指标": "2024年12月底前",
    "成本指标": "≤{budget}万元",
    "经济效益指标": "好/较好/一般/较差",
    "社会效益指标": "≥90%",
    "生态效益指标": "无负面影响",
    "可持续影响指标": "≥3年",
    "服务对象满意度指标": "≥95%",
}
SOUND_NAMES = {"质量指标": "节目播出合格率", "成本指标": "项目总成本"}  # not process indicators


def make_sound(*codes: str) -> None:
    """Every reference project (or those named) with measurable values and a real target."""
    projects = Project.objects.all()
    if codes:
        projects = projects.filter(code__in=codes)
    for project in projects:
        budget = format_number(project.budget_total)
        for indicator in Indicator.objects.filter(project=project).select_related("category"):
            category = indicator.category.name
            Indicator.objects.filter(pk=indicator.pk).update(
                value_text=SOUND_VALUES[category].format(budget=budget),
                name=SOUND_NAMES.get(category, indicator.name),
            )
        Project.objects.filter(pk=project.pk).update(
            target="全年播出节目不少于365天，12月底前完成。"
        )
