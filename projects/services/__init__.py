"""Writes that touch several models. Each is atomic: all of it happens, or none.

`tree` (indicators and schedule), `unit_years`, `projects` (the editor's save, order,
monitoring), `copying` (结转)."""

from projects.services.copying import (
    NO_BUDGET_YEAR,
    CopyRefused,
    project_copy_to_year,
    unit_year_copy,
)
from projects.services.projects import (
    EVALUATION_CONFIRMED,
    STALE_EDIT,
    EvaluationFrozen,
    MonitoringRefused,
    OrderRefused,
    StaleEdit,
    booklet_order_save,
    indicators_sync,
    monitoring_save,
    order_refusal,
    project_save,
)
from projects.services.tree import (
    TreeChanges,
    framework_categories,
    indicator_count_check,
    project_tree_replace,
    schedule_replace,
    tree_apply,
    tree_changes,
)
from projects.services.unit_years import (
    NO_UNIT_BUDGET_YEAR,
    UNIT_YEAR_EXISTS,
    UnitYearRefused,
    budget_year_ensure,
    department_year_ensure,
    sections_replace,
    unit_year_create,
    unit_year_load,
)

__all__ = [
    "EVALUATION_CONFIRMED",
    "EvaluationFrozen",
    "CopyRefused",
    "MonitoringRefused",
    "NO_BUDGET_YEAR",
    "NO_UNIT_BUDGET_YEAR",
    "STALE_EDIT",
    "StaleEdit",
    "TreeChanges",
    "UNIT_YEAR_EXISTS",
    "UnitYearRefused",
    "OrderRefused",
    "booklet_order_save",
    "order_refusal",
    "budget_year_ensure",
    "department_year_ensure",
    "framework_categories",
    "indicator_count_check",
    "indicators_sync",
    "monitoring_save",
    "project_copy_to_year",
    "project_save",
    "project_tree_replace",
    "schedule_replace",
    "sections_replace",
    "tree_apply",
    "tree_changes",
    "unit_year_copy",
    "unit_year_create",
    "unit_year_load",
]
