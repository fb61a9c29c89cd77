from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from indicators.checks.catalogue import RULES, Level

RULE_CHOICES = [(rule.code, rule.title) for rule in RULES]


class FrameworkVersion(models.Model):
    """A versioned dictionary of 一级 and 二级 indicators (指标体系), chosen per year or project."""

    code = models.CharField("版本", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    description = models.TextField("说明", blank=True)
    budget_points = models.DecimalField(
        "预算执行率分值", max_digits=6, decimal_places=2, default=Decimal(10)
    )

    class Meta:
        verbose_name = verbose_name_plural = "指标体系版本"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PrimaryKind(models.TextChoices):
    COST = "cost", "成本"
    OUTPUT = "output", "产出"
    BENEFIT = "benefit", "效益"
    SATISFACTION = "satisfaction", "满意度"


class PrimaryCategory(models.Model):
    """一级指标 of a framework version."""

    framework = models.ForeignKey(
        FrameworkVersion,
        verbose_name="指标体系版本",
        on_delete=models.CASCADE,
        related_name="primaries",
    )
    name = models.CharField("一级指标", max_length=50)
    order = models.PositiveIntegerField("序号")
    kind = models.CharField("类别", max_length=16, choices=PrimaryKind.choices)
    points = models.DecimalField("自评分值", max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = verbose_name_plural = "一级指标"
        ordering = ["framework", "order"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "name"], name="primary_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class SecondaryCategory(models.Model):
    """二级指标; it fixes the 一级 of every 三级 indicator filed under it."""

    primary = models.ForeignKey(
        PrimaryCategory,
        verbose_name="一级指标",
        on_delete=models.CASCADE,
        related_name="secondaries",
    )
    name = models.CharField("二级指标", max_length=50)
    order = models.PositiveIntegerField("序号")
    is_cost = models.BooleanField("成本类", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "二级指标"
        ordering = ["primary__framework", "primary__order", "order"]
        constraints = [
            models.UniqueConstraint(fields=["primary", "name"], name="secondary_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.primary.name} / {self.name}"

    @property
    def counts_as_cost(self) -> bool:
        """A cost 二级 (成本指标), or any 二级 under a cost 一级: the checks' cost rules apply."""
        return self.is_cost or self.primary.kind == "cost"


class Operator(models.TextChoices):
    GTE = "≥", "≥"
    LTE = "≤", "≤"
    EQ = "=", "="
    GT = ">", ">"
    LT = "<", "<"
    QUALITATIVE = "定性", "定性"


BASIS_SUGGESTIONS = ["计划标准", "行业标准", "历史标准", "其他标准"]


# A 绩效指标描述 longer than this makes a row taller than its column holds on a printed page:
# the row's continued part would lose the column heads and the 一级/二级 labels.
MAX_DESCRIPTION = 300


def text_limit(limit: int) -> MaxLengthValidator:
    """A long text's limit, with the reason in the message. (Not a max_length: the browser
    would cut a longer pasted text without a word.)"""
    return MaxLengthValidator(
        limit,
        message=(
            f"过长（最多 {limit} 个字符，现为 %(show_value)d 个）：更长的内容打印时一行会超过一页"
        ),
    )


class IndicatorQuerySet(models.QuerySet):
    def in_table_order(self) -> "IndicatorQuerySet":
        return self.select_related("category__primary").order_by(
            "category__primary__order", "category__order", "order", "id"
        )


class Indicator(models.Model):
    """三级指标 of a budget project."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name="预算项目",
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    category = models.ForeignKey(
        SecondaryCategory, verbose_name="二级指标", on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveIntegerField("序号", default=0)
    name = models.CharField("三级指标", max_length=200)
    description = models.TextField(
        "绩效指标描述",
        blank=True,
        validators=[text_limit(MAX_DESCRIPTION)],
    )
    value_text = models.CharField("指标值", max_length=200, blank=True)
    operator = models.CharField("比较符", max_length=4, choices=Operator.choices, blank=True)
    value_number = models.DecimalField(
        "指标数值", max_digits=20, decimal_places=6, null=True, blank=True
    )
    value_unit = models.CharField("计量单位", max_length=20, blank=True)
    basis = models.CharField("指标值确定依据", max_length=200, blank=True)
    history = HistoricalRecords()

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "三级指标"
        ordering = ["project", "category__primary__order", "category__order", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(operator="") | Q(operator="定性") | Q(value_number__isnull=False),
                name="indicator_operator_needs_number",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LibraryIndicator(models.Model):
    """A reusable 三级 indicator offered while entering targets (指标库)."""

    category = models.ForeignKey(
        SecondaryCategory, verbose_name="二级指标", on_delete=models.CASCADE, related_name="library"
    )
    name = models.CharField("三级指标", max_length=200)
    description = models.TextField("绩效指标描述", blank=True)
    operator = models.CharField("比较符", max_length=4, choices=Operator.choices, blank=True)
    unit = models.CharField("建议单位", max_length=20, blank=True)
    basis = models.CharField("建议确定依据", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "指标库"
        ordering = ["category", "name"]
        constraints = [
            models.UniqueConstraint(fields=["category", "name"], name="library_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", "填写中"
    CONFIRMED = "confirmed", "已确认"


NOT_NEGATIVE = MinValueValidator(0, message="不能为负数")


def _part(label: str) -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=20, decimal_places=6, null=True, blank=True, validators=[NOT_NEGATIVE]
    )


FUND_COLUMNS = (
    ("initial", "initial_budget", "年初预算数"),
    ("annual", "annual_budget", "全年预算数"),
    ("executed", "executed", "全年执行数"),
)
PARTS_OVER_TOTAL = "{column}中当年财政拨款与上年结转资金之和超过年度资金总额"
EXECUTED_OVER_BUDGET = "{label}的全年执行数超过全年预算数，请核实"
FUND_SOURCES = (("fiscal", "当年财政拨款"), ("carryover", "上年结转资金"))


class SelfEvaluation(models.Model):
    """A project's year-end self-evaluation (绩效自评)."""

    Status = EvaluationStatus

    project = models.OneToOneField(
        "projects.Project",
        verbose_name="预算项目",
        on_delete=models.CASCADE,
        related_name="self_evaluation",
    )
    initial_budget = models.DecimalField("年初预算数", max_digits=20, decimal_places=6)
    annual_budget = models.DecimalField("全年预算数", max_digits=20, decimal_places=6)
    executed = models.DecimalField("全年执行数", max_digits=20, decimal_places=6)
    # 项目资金 by source, as the official form has it: 当年财政拨款 and 上年结转资金 in each column
    # (年初预算数, 全年预算数, 全年执行数); 其他资金 is what remains of the total.
    fiscal_initial = _part("年初预算数（当年财政拨款）")
    fiscal_annual = _part("全年预算数（当年财政拨款）")
    fiscal_executed = _part("全年执行数（当年财政拨款）")
    carryover_initial = _part("年初预算数（上年结转资金）")
    carryover_annual = _part("全年预算数（上年结转资金）")
    carryover_executed = _part("全年执行数（上年结转资金）")
    outcome = models.TextField("年度总体目标实际完成情况", blank=True, max_length=2000)
    # Raised by every save: a page opened before another save is refused, not written over it.
    version = models.PositiveIntegerField("数据版本", default=0)
    status = models.CharField(
        "状态", max_length=16, choices=EvaluationStatus.choices, default=EvaluationStatus.DRAFT
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "绩效自评"
        constraints = [
            models.CheckConstraint(
                condition=Q(initial_budget__gte=0) & Q(annual_budget__gte=0) & Q(executed__gte=0),
                name="self_evaluation_amounts_nonnegative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} 自评"

    @property
    def confirmed(self) -> bool:
        return self.status == EvaluationStatus.CONFIRMED

    def clean(self) -> None:
        for key, total_field, column in FUND_COLUMNS:
            total = getattr(self, total_field)
            parts = self.fund_parts(key)
            if total is not None and sum(p or 0 for p in parts) > total:
                raise ValidationError(PARTS_OVER_TOTAL.format(column=column))
        # Spending cannot pass its budget: 执行率 above 100% is a typing error.
        pairs = [("年度资金总额", self.annual_budget, self.executed)]
        pairs += [
            (label, getattr(self, f"{source}_annual"), getattr(self, f"{source}_executed"))
            for source, label in FUND_SOURCES
        ]
        for label, budget, executed in pairs:
            if budget is not None and executed is not None and executed > budget:
                raise ValidationError(EXECUTED_OVER_BUDGET.format(label=label))

    def fund_parts(self, key: str) -> tuple:
        """当年财政拨款 and 上年结转资金 of one column (initial, annual, executed)."""
        return getattr(self, f"fiscal_{key}"), getattr(self, f"carryover_{key}")

    def other_funds(self, key: str):
        """其他资金 of a column: what the parts leave of the total, once any part is given."""
        parts = self.fund_parts(key)
        if all(p is None for p in parts):
            return None
        total = getattr(self, next(f for k, f, _ in FUND_COLUMNS if k == key))
        return total - sum(p or 0 for p in parts)


class Achievement(models.TextChoices):
    MET = "met", "达成"
    PARTIAL = "partial", "部分达成"
    MISSED = "missed", "未达成"


class IndicatorResult(models.Model):
    """The actual value of one 三级 indicator at year end, and the points it earns."""

    indicator = models.OneToOneField(
        Indicator, verbose_name="三级指标", on_delete=models.CASCADE, related_name="result"
    )
    actual_text = models.CharField("实际完成值", max_length=200, blank=True)
    actual_number = models.DecimalField(
        "实际完成数值", max_digits=20, decimal_places=6, null=True, blank=True
    )
    achievement = models.CharField(
        "定性评价", max_length=16, choices=Achievement.choices, blank=True
    )
    achievement_share = models.DecimalField(
        "得分比例（%）", max_digits=5, decimal_places=2, null=True, blank=True
    )
    weight = models.DecimalField("权重", max_digits=6, decimal_places=2, null=True, blank=True)
    deviation_reason = models.TextField("偏差原因分析及改进措施", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "指标完成情况"

    def __str__(self) -> str:
        return f"{self.indicator} = {self.actual_text}"


class ReviewProfileQuerySet(models.QuerySet):
    def active(self) -> "ReviewProfileQuerySet":
        return self.filter(is_active=True)


class ReviewProfile(models.Model):
    """审核口径: how severe each quality rule is for a framework version. One profile per framework
    is in force; rules it does not list keep the catalogue's strict severity."""

    framework = models.ForeignKey(
        FrameworkVersion,
        verbose_name="指标体系版本",
        on_delete=models.CASCADE,
        related_name="review_profiles",
    )
    name = models.CharField("口径名称", max_length=50)
    description = models.TextField("说明", blank=True)
    is_active = models.BooleanField("当前使用", default=False)
    history = HistoricalRecords()

    objects = ReviewProfileQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "审核口径"
        ordering = ["framework", "-is_active", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "name"], name="review_profile_unique_name"
            ),
            models.UniqueConstraint(
                fields=["framework"],
                condition=Q(is_active=True),
                name="review_profile_one_active",
                violation_error_message="每个指标体系版本只能有一个当前使用的审核口径",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.framework.code} {self.name}"


class ReviewProfileRule(models.Model):
    """One rule's severity in a 审核口径: 错误 blocks submission; 关闭 drops the rule."""

    profile = models.ForeignKey(
        ReviewProfile, verbose_name="审核口径", on_delete=models.CASCADE, related_name="rules"
    )
    rule = models.CharField("审核规则", max_length=40, choices=RULE_CHOICES)
    level = models.CharField("级别", max_length=8, choices=Level.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "口径规则"
        ordering = ["profile", "pk"]  # the catalogue's order, as the profiles were shipped
        constraints = [
            models.UniqueConstraint(fields=["profile", "rule"], name="profile_rule_unique")
        ]

    def __str__(self) -> str:
        return f"{self.profile}：{self.get_rule_display()} = {self.get_level_display()}"
