"""The 优/良/中/差 grades used by section ratings, reviews and self-evaluation."""

from django.conf import settings
from django.db import models


class Grade(models.TextChoices):
    EXCELLENT = "优", "优"
    GOOD = "良", "良"
    FAIR = "中", "中"
    POOR = "差", "差"


class Status(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    APPROVED = "approved", "已审核"


class Reviewed(models.Model):
    """The review state every reviewed record carries (projects, department years): its status
    and the last review's grade, comment, reviewer and time."""

    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT)
    review_grade = models.CharField("审核等级", max_length=1, choices=Grade.choices, blank=True)
    review_comment = models.TextField("审核意见", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    # The grade the quality checks suggested at that review; the reviewer may choose another.
    suggested_grade = models.CharField("建议等级", max_length=1, choices=Grade.choices, blank=True)
    # Whoever submits a record does not review it (DESIGN §4).
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True

    def is_own_submission(self, user) -> bool:
        """Whether reviewing it now would be its submitter reviewing their own submission."""
        return self.submitted_by_id is not None and self.submitted_by_id == user.pk
