from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.signals import m2m_changed
from simple_history.models import HistoricalRecords

from departments.scales import Bound, describe_bound, grades_for, scale_gaps
from perfbudget.lib.codes import code_validator
from perfbudget.lib.grades import Grade, Reviewed

# The years the app keeps (budget years, unit-years, projects): one range everywhere.
FIRST_YEAR, LAST_YEAR = 2000, 2100
YEAR_RANGE = Q(year__gte=FIRST_YEAR) & Q(year__lte=LAST_YEAR)
PENDING_LABEL = "待确认"
UNRATED_LABEL = "未评级"


class DepartmentQuerySet(models.QuerySet):
    def one_person(self) -> "DepartmentQuerySet":
        """Units marked 单人单位 that really hold one active person (`is_one_person`)."""
        people = models.Count(
            "members__user", filter=Q(members__user__is_active=True), distinct=True
        )
        return self.filter(single_person=True).annotate(people=people).filter(people__lte=1)


class Department(models.Model):
    code = models.CharField("单位编码", max_length=32, unique=True, validators=[code_validator])
    name = models.CharField("单位名称", max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name="主管部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    single_person = models.BooleanField(
        "单人单位（允许提交人审核自己提交的绩效目标）",
        default=False,
        help_text="只有一名工作人员的单位才勾选；每次自行审核都记入修改记录。",
    )
    history = HistoricalRecords()

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "单位"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}{self.name}"

    def people_count(self) -> int:
        """Active people holding any role in the unit."""
        return self.members.filter(user__is_active=True).values("user").distinct().count()

    def is_one_person(self) -> bool:
        """Marked 单人单位 and really one person: the rule that a submitter does not review
        their own submission is lifted only then."""
        return self.single_person and self.people_count() <= 1


class Role(models.TextChoices):
    FINANCE = "finance", "财务人员"
    CHIEF = "chief", "科室负责人"
    AUDITOR = "auditor", "审计人员"
    ADMIN = "admin", "管理员"


class Membership(models.Model):
    """A user's role in one unit. Units are the boundary of every permission."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    department = models.ForeignKey(
        Department, verbose_name="单位", on_delete=models.CASCADE, related_name="members"
    )
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    sections = models.ManyToManyField(
        "Section", blank=True, verbose_name="负责科室", related_name="chiefs"
    )
    history = HistoricalRecords(m2m_fields=[sections])

    class Meta:
        verbose_name = verbose_name_plural = "单位角色"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "department", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.department.name} · {self.get_role_display()}"


FOREIGN_SECTION = "只能选择本单位的科室"


def _sections_of_own_unit(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """A membership holds sections of its own unit only. Written to the through table by
    `.add()`/`.set()`, which no model method sees, so the rule is enforced where that table is
    written: before any row is added, from either side."""
    if action != "pre_add" or not pk_set:
        return
    if reverse:  # section.chiefs.add(membership, …)
        foreign = Membership.objects.filter(pk__in=pk_set).exclude(
            department_id=instance.department_id
        )
    else:  # membership.sections.add(section, …)
        foreign = Section.objects.filter(pk__in=pk_set).exclude(
            department_id=instance.department_id
        )
    if foreign.exists():
        raise ValidationError(FOREIGN_SECTION)


class Section(models.Model):
    department = models.ForeignKey(
        Department, verbose_name="单位", on_delete=models.CASCADE, related_name="sections"
    )
    name = models.CharField("科室", max_length=100)
    order = models.PositiveIntegerField("序号", default=0)
    duties = models.TextField("职责", blank=True)
    # A section that no longer exists keeps its records; it is offered for nothing new.
    retired = models.BooleanField("已撤销", default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "科室"
        ordering = ["department", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "name"],
                name="section_unique_name",
                violation_error_message="本单位已有同名科室",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def duty_lines(self) -> list[str]:
        return [line for line in self.duties.splitlines() if line.strip()]


class DepartmentYearQuerySet(models.QuerySet):
    def with_part_one(self, year: int) -> "DepartmentYearQuerySet":
        """Everything 第一部分 shows: sections and their rating indicators of that year."""
        indicators = SectionIndicator.objects.filter(year=year).select_related("rating")
        # A section prints in a year it has indicators in; otherwise only while it is in use
        # and has duties (a section added later, still empty, stays out of earlier years).
        sections = (
            Section.objects.filter(Q(indicators__year=year) | (Q(retired=False) & ~Q(duties="")))
            .distinct()
            .prefetch_related(
                models.Prefetch("indicators", queryset=indicators, to_attr="year_indicators")
            )
        )
        return self.select_related("department").prefetch_related(
            models.Prefetch("department__sections", queryset=sections, to_attr="year_sections")
        )


class DepartmentYear(Reviewed):
    """The department's own part of a year's booklet (第一部分)."""

    department = models.ForeignKey(
        Department, verbose_name="单位", on_delete=models.CASCADE, related_name="years"
    )
    year = models.PositiveIntegerField("年度")
    overall_target = models.TextField("总体绩效目标", blank=True)
    safeguards = models.TextField("工作保障措施", blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    objects = DepartmentYearQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "部门年度绩效目标"
        ordering = ["department", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["department", "year"], name="department_year_unique"),
            models.CheckConstraint(condition=YEAR_RANGE, name="department_year_year_range"),
        ]

    def __str__(self) -> str:
        return f"{self.department.name} {self.year}年"

    @property
    def title(self) -> str:
        return f"{self.department.name}{self.year}年部门预算绩效目标"

    def paragraphs(self, field: str) -> list[str]:
        return [line for line in getattr(self, field).splitlines() if line.strip()]

    def _year_indicators(self):
        for section in self.department.year_sections:
            yield from section.year_indicators

    def rating_summary(self) -> dict[str, int]:
        """How many rating indicators ended 优/良/中/差 (confirmed grades only), how many carry
        a grade still 待确认, and how many are 未评级 (from a department year fetched with
        `with_part_one`)."""
        counts = {grade: 0 for grade in Grade.values}
        counts[PENDING_LABEL] = counts[UNRATED_LABEL] = 0
        for indicator in self._year_indicators():
            rating = getattr(indicator, "rating", None)
            if rating is None or not rating.grade:
                counts[UNRATED_LABEL] += 1
            elif rating.confirmed:
                counts[rating.grade] += 1
            else:
                counts[PENDING_LABEL] += 1
        return counts

    def has_ratings(self) -> bool:
        return any(getattr(i, "rating", None) for i in self._year_indicators())


class Comparison(models.TextChoices):
    GTE = "≥", "≥（不低于）"
    GT = ">", ">（高于）"
    LTE = "≤", "≤（不高于）"
    LT = "<", "<（低于）"


# The one table of a rating indicator's grade columns: the grade, its fields' stem
# (`excellent_op`, `excellent_bound`) and the comparison a bare number means.
GRADE_FIELDS = (
    (Grade.EXCELLENT, "excellent", Comparison.GTE),
    (Grade.GOOD, "good", Comparison.GTE),
    (Grade.FAIR, "fair", Comparison.GTE),
    (Grade.POOR, "poor", Comparison.LT),
)
BOUND_FIELDS = [f"{stem}_{part}" for _, stem, _ in GRADE_FIELDS for part in ("op", "bound")]


def _bound_fields(label: str, default_op: str):
    op = models.CharField(
        f"{label}比较", max_length=1, choices=Comparison.choices, default=default_op
    )
    bound = models.DecimalField(f"{label}界值（%）", max_digits=9, decimal_places=4)
    return op, bound


def _percent_range(field: str) -> Q:
    return Q(**{f"{field}__gte": 0}) & Q(**{f"{field}__lte": 100})


class SectionIndicator(models.Model):
    """A section's rating indicator for one year, with its 优/良/中/差 scale in percent."""

    section = models.ForeignKey(
        Section, verbose_name="科室", on_delete=models.CASCADE, related_name="indicators"
    )
    year = models.PositiveIntegerField("年度")
    order = models.PositiveIntegerField("序号", default=0)
    name = models.CharField("绩效指标", max_length=200)
    excellent_op, excellent_bound = _bound_fields("优", Comparison.GTE)
    good_op, good_bound = _bound_fields("良", Comparison.GTE)
    fair_op, fair_bound = _bound_fields("中", Comparison.GTE)
    poor_op, poor_bound = _bound_fields("差", Comparison.LT)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "科室绩效指标"
        ordering = ["section", "year", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "year", "name"], name="section_indicator_unique_name"
            ),
            *(
                models.CheckConstraint(
                    condition=_percent_range(f"{field}_bound"),
                    name=f"section_indicator_{field}_percent",
                )
                for _, field, _ in GRADE_FIELDS
            ),
        ]

    def __str__(self) -> str:
        return f"{self.section} · {self.name}"

    def bounds(self) -> list[Bound]:
        return [
            Bound(grade, getattr(self, f"{field}_op"), getattr(self, f"{field}_bound"))
            for grade, field, _ in GRADE_FIELDS
        ]

    def criteria(self) -> list[str]:
        """The 评价标准 cells as the booklet prints them: 100% / 90% / 80% / 60%以下."""
        return [describe_bound(bound) for bound in self.bounds()]

    def grades_for(self, value: Decimal) -> list[str]:
        return grades_for(self.bounds(), value)

    def grade_for(self, value: Decimal) -> str | None:
        """The one grade the scale gives a value; None where it gives none (a hole) or several
        (an overlap): such a value is never graded automatically."""
        grades = self.grades_for(value)
        return grades[0] if len(grades) == 1 else None

    def gaps(self):
        return scale_gaps(self.bounds())


class SectionRating(models.Model):
    """The year's actual result of one section indicator and the grade the chief confirms."""

    indicator = models.OneToOneField(
        SectionIndicator,
        verbose_name="科室绩效指标",
        on_delete=models.CASCADE,
        related_name="rating",
    )
    actual_value = models.DecimalField("实际完成值（%）", max_digits=9, decimal_places=4)
    manual_grade = models.CharField("人工评级", max_length=1, choices=Grade.choices, blank=True)
    manual_reason = models.TextField("人工评级理由", blank=True)
    comment = models.TextField("意见", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评级人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("评级时间", null=True, blank=True)
    confirmed = models.BooleanField("已确认", default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "科室评级"
        constraints = [
            models.CheckConstraint(
                condition=Q(actual_value__gte=0), name="section_rating_actual_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(manual_grade="") | ~Q(manual_reason=""),
                name="section_rating_manual_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} = {self.actual_value}%"

    @property
    def computed_grade(self) -> str | None:
        return self.indicator.grade_for(self.actual_value)

    @property
    def grade(self) -> str | None:
        return self.manual_grade or self.computed_grade


m2m_changed.connect(_sections_of_own_unit, sender=Membership.sections.through)
