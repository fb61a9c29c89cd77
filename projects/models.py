import dataclasses

from django.db import models
from django.db.models import Prefetch, Q
from simple_history.models import HistoricalRecords

from departments.models import YEAR_RANGE, Department, Section
from indicators.models import (
    FrameworkVersion,
    Indicator,
    PrimaryCategory,
    SecondaryCategory,
    SelfEvaluation,
    text_limit,
)
from perfbudget.lib.codes import code_validator
from perfbudget.lib.grades import Reviewed

MONEY = {"max_digits": 20, "decimal_places": 6}
# 三级 indicators of one project: real tables hold tens; this bounds every render of a table.
MAX_INDICATORS_PER_PROJECT = 300
# 预算规模及资金用途 and 年度绩效目标: each is one row of the printed form, which must fit a page.
MAX_PROJECT_TEXT = 1000
TOO_MANY_INDICATORS = "一个项目最多只能有 {limit} 条三级指标（本次为 {count} 条），请精简后再保存。"
DEFAULT_MILESTONES = [3, 6, 10, 12]


def default_milestones() -> list[int]:
    return list(DEFAULT_MILESTONES)


class BudgetYear(models.Model):
    """The year's template: which framework new projects use and the schedule's milestones."""

    year = models.PositiveIntegerField("年度", unique=True)
    framework = models.ForeignKey(
        FrameworkVersion, verbose_name="指标体系", on_delete=models.PROTECT, related_name="+"
    )
    milestone_months = models.JSONField("支出计划节点（月）", default=default_milestones)

    class Meta:
        verbose_name = verbose_name_plural = "预算年度"
        ordering = ["-year"]
        constraints = [models.CheckConstraint(condition=YEAR_RANGE, name="budget_year_range")]

    def __str__(self) -> str:
        return f"{self.year}年"

    @classmethod
    def milestones_of(cls, year: int) -> list[int]:
        """The year's milestone months (e.g. 3, 6, 9, 12); the default set for a year that has
        no budget year yet."""
        budget_year = cls.objects.filter(year=year).first()
        if budget_year is not None:
            return budget_year.milestone_months
        return cls._meta.get_field("milestone_months").get_default()

    @staticmethod
    def milestone_label(month: int) -> str:
        return f"{month}月底"


class ProjectQuerySet(models.QuerySet):
    def for_list(self) -> "ProjectQuerySet":
        return self.select_related("department", "section")

    def for_table(self, indicators=None) -> "ProjectQuerySet":
        """Everything a 绩效目标表 draws, in a fixed number of queries. `indicators` may add to
        what is fetched with each 三级 (the self-evaluation adds its result)."""
        secondaries = SecondaryCategory.objects.order_by("order")
        primaries = PrimaryCategory.objects.order_by("order").prefetch_related(
            Prefetch("secondaries", queryset=secondaries)
        )
        return self.select_related(
            "department", "section", "framework", "source", "self_evaluation"
        ).prefetch_related(
            "schedule",
            Prefetch(
                "indicators",
                queryset=(indicators or Indicator.objects.all()).order_by("order", "id"),
            ),
            Prefetch("framework__primaries", queryset=primaries),
        )

    def in_booklet_order(self) -> "ProjectQuerySet":
        return self.order_by("booklet_order", "table_number", "code")


class Project(Reviewed):
    """A budget project (预算项目) and its 绩效目标表."""

    department = models.ForeignKey(
        Department, verbose_name="单位", on_delete=models.PROTECT, related_name="projects"
    )
    year = models.PositiveIntegerField("年度")
    section = models.ForeignKey(
        Section,
        verbose_name="责任科室",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    table_number = models.PositiveIntegerField("表序号")
    booklet_order = models.PositiveIntegerField("目录顺序", default=0)
    table_name = models.CharField("表名称", max_length=200)
    code = models.CharField("项目编码", max_length=40, validators=[code_validator])
    name = models.CharField("项目名称", max_length=300)
    budget_total = models.DecimalField("预算数", **MONEY)
    fiscal_funds = models.DecimalField("其中：财政资金", **MONEY)
    other_funds = models.DecimalField("其他资金", null=True, blank=True, **MONEY)
    fund_use = models.TextField(
        "预算规模及资金用途",
        blank=True,
        validators=[text_limit(MAX_PROJECT_TEXT)],
    )
    target = models.TextField(
        "年度绩效目标",
        blank=True,
        validators=[text_limit(MAX_PROJECT_TEXT)],
    )
    framework = models.ForeignKey(
        FrameworkVersion, verbose_name="指标体系", on_delete=models.PROTECT, related_name="+"
    )
    source = models.ForeignKey(
        "self",
        verbose_name="结转来源",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="copies",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    # The project's own values, not its keys, unit, framework or section: what a copy to another
    # year carries over as it is, and what an import compares and writes.
    OWN_FIELDS = (
        "table_number",
        "table_name",
        "name",
        "budget_total",
        "fiscal_funds",
        "other_funds",
        "fund_use",
        "target",
    )

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "预算项目"
        ordering = ["-year", "department", "booklet_order", "table_number"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="project_unique_year_code"),
            models.CheckConstraint(condition=YEAR_RANGE, name="project_year_range"),
            models.CheckConstraint(
                condition=Q(budget_total__gte=0)
                & Q(fiscal_funds__gte=0)
                & (Q(other_funds__isnull=True) | Q(other_funds__gte=0)),
                name="project_amounts_nonnegative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def heading(self) -> str:
        """The booklet heading: 1.承德高新区新闻合办专项绩效目标表."""
        return f"{self.table_number}.{self.table_name}绩效目标表"

    def may_review(self, access) -> bool:
        """The chief of the project's section reviews it, or a unit administrator."""
        return access.can_review(self.section_id)

    def available_actions(self, access, user):
        """As for every reviewed record; and a confirmed 绩效自评 froze the targets it scored."""
        actions = super().available_actions(access, user)
        if actions.edit and self.evaluation_confirmed():
            return dataclasses.replace(actions, edit=False)
        return actions

    def indicator_tree(self) -> list[tuple[PrimaryCategory, list[tuple[SecondaryCategory, list]]]]:
        """The framework's 一级 → 二级 in order, each 二级 with this project's 三级 under it in
        their order: the one walk every table, check and workbook draws from. No query for a
        project fetched with `Project.objects.for_table()`."""
        by_category: dict[int, list] = {}
        for indicator in self.indicators.all():
            by_category.setdefault(indicator.category_id, []).append(indicator)
        return [
            (
                primary,
                [
                    (secondary, by_category.get(secondary.pk, []))
                    for secondary in primary.secondaries.all()
                ],
            )
            for primary in self.framework.primaries.all()
        ]

    def evaluation_confirmed(self) -> bool:
        """A confirmed 绩效自评 scored these targets: they are no longer changed. No query for a
        project fetched with `for_table()`."""
        try:
            return self.self_evaluation.confirmed
        except SelfEvaluation.DoesNotExist:
            return False


class ScheduleEntry(models.Model):
    """Cumulative percent of the budget spent by the end of one milestone month."""

    project = models.ForeignKey(
        Project, verbose_name="预算项目", on_delete=models.CASCADE, related_name="schedule"
    )
    month = models.PositiveSmallIntegerField("月份")
    planned_percent = models.DecimalField(
        "计划累计支出（%）", max_digits=7, decimal_places=4, null=True, blank=True
    )
    actual_percent = models.DecimalField(
        "实际累计支出（%）", max_digits=7, decimal_places=4, null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "资金支出计划"
        ordering = ["project", "month"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="schedule_unique_month"),
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="schedule_month_range"
            ),
            models.CheckConstraint(
                condition=Q(planned_percent__isnull=True)
                | (Q(planned_percent__gte=0) & Q(planned_percent__lte=100)),
                name="schedule_planned_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(actual_percent__isnull=True)
                | (Q(actual_percent__gte=0) & Q(actual_percent__lte=100)),
                name="schedule_actual_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.month}月底 {self.planned_percent}%"
