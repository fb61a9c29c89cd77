"""Target quality checks (审核规则, DESIGN §5): one catalogue of rules, each with a Chinese name, a
message naming the row, the reason and a suggested fix, run over a project or a department year
under the framework's 审核口径 (review profile).

Errors block submission; warnings and hints need no action. Every finding names the row it
concerns, so the editor can show it beside that row."""

from indicators.checks.catalogue import CATALOGUE, RULES, Level, Rule, Severity
from indicators.checks.core import (
    Finding,
    IndicatorData,
    PrimaryData,
    RowPlace,
    SecondaryData,
    TargetData,
)
from indicators.checks.opinion import by_row, draft_opinion, suggested_grade
from indicators.checks.profiles import Levels, LevelsCache, levels_for, strict_levels
from indicators.checks.project import (
    check_department_year,
    check_scale,
    check_schedule,
    check_target_data,
)
from indicators.checks.reading import STANDARD_GRADES, has_grades, read
from indicators.checks.rows import check_indicator
from indicators.checks.saved import (
    ReviewAid,
    check_project,
    framework_tree,
    review_aid,
    target_data,
)

__all__ = [
    "CATALOGUE",
    "RULES",
    "STANDARD_GRADES",
    "Finding",
    "IndicatorData",
    "Level",
    "Levels",
    "LevelsCache",
    "PrimaryData",
    "RowPlace",
    "ReviewAid",
    "Rule",
    "SecondaryData",
    "Severity",
    "TargetData",
    "by_row",
    "check_department_year",
    "check_indicator",
    "check_project",
    "check_scale",
    "check_schedule",
    "check_target_data",
    "draft_opinion",
    "framework_tree",
    "has_grades",
    "levels_for",
    "read",
    "review_aid",
    "strict_levels",
    "suggested_grade",
    "target_data",
]
