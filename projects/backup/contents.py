"""What a backup file holds: its format, the models in insertion order, the scope of a file."""

from dataclasses import dataclass

from django.apps import apps
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model

FORMAT = "perfbudget-backup"
VERSION = 1
APPS = ("departments", "indicators", "projects")

# Insertion order: everything a row refers to comes before it.
LIVE_MODELS = (
    "auth.User",
    "indicators.FrameworkVersion",
    "indicators.PrimaryCategory",
    "indicators.SecondaryCategory",
    "indicators.LibraryIndicator",
    "indicators.ReviewProfile",
    "indicators.ReviewProfileRule",
    "projects.BudgetYear",
    "departments.Department",
    "departments.Section",
    "departments.Membership",
    "departments.DepartmentYear",
    "departments.SectionIndicator",
    "departments.SectionRating",
    "projects.Project",
    "projects.ScheduleEntry",
    "indicators.Indicator",
    "indicators.SelfEvaluation",
    "indicators.IndicatorResult",
)
HISTORY_MODELS = (
    "departments.HistoricalDepartment",
    "departments.HistoricalSection",
    "departments.HistoricalMembership",
    "departments.HistoricalMembership_sections",
    "departments.HistoricalDepartmentYear",
    "departments.HistoricalSectionIndicator",
    "departments.HistoricalSectionRating",
    "projects.HistoricalProject",
    "projects.HistoricalScheduleEntry",
    "indicators.HistoricalIndicator",
    "indicators.HistoricalSelfEvaluation",
    "indicators.HistoricalIndicatorResult",
    "indicators.HistoricalReviewProfile",
    "indicators.HistoricalReviewProfileRule",
)
# Users refer to permissions by name: their ids differ between databases.
NATURAL_KEYS = {"auth.User"}
# What a file may hold, and so all a restore ever writes: the app's own models and their history,
# and users. Never sessions, admin log rows, permissions or groups (the app uses none of them;
# a file that carries one has been made by hand).
RESTORABLE = {label.lower() for label in LIVE_MODELS + HISTORY_MODELS}
# A unit-year file's users: no user may come out of it as an administrator of the whole system,
# and only the unit's own members keep their password.
UNUSABLE_PASSWORD = "!"
BATCH = 1000
# The fields by which rows (and their history) name a user.
USER_FIELDS = {"user", "reviewed_by", "submitted_by", "history_user"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the user."""


@dataclass
class Scope:
    department: str = ""
    year: int | None = None

    @property
    def everything(self) -> bool:
        return not self.department

    def describe(self) -> str:
        return "全部数据" if self.everything else f"单位 {self.department} {self.year} 年"


def _model(label: str) -> type[Model]:
    return apps.get_model(label)


def _migrations() -> dict[str, str]:
    applied = MigrationRecorder(connection).applied_migrations()
    latest: dict[str, str] = {}
    for app, name in sorted(applied):
        if app in APPS or app == "auth":
            latest[app] = max(latest.get(app, ""), name)
    return latest
