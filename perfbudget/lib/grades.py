"""The 优/良/中/差 grades used by section ratings, reviews and self-evaluation."""

from dataclasses import dataclass

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


# How the history names a review (projects/workflow.py's REASONS).
REVIEW_STARTS = ("审核通过", "退回修改", "不予通过")


@dataclass(frozen=True)
class Actions:
    """What a user may do with a reviewed record now, for its page: templates show these and
    test no status themselves (the workflow services check again when it is done)."""

    edit: bool  # change the content
    submit: bool
    review: bool
    review_own: bool  # would review but is its submitter (not a one-person unit): told why not
    reopen: bool


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

    @property
    def submitter(self):
        """Who submitted it, while the submission stands (submitted or approved)."""
        return self.submitted_by if self.status != Status.DRAFT else None

    @property
    def returned(self) -> bool:
        """A draft sent back by its last review (中 or 差), grade and comment kept."""
        return self.status == Status.DRAFT and bool(self.review_grade and self.review_comment)

    @property
    def review_stands(self) -> bool:
        """Its last review is the word on it: approved, or returned for revision."""
        return self.status == Status.APPROVED or self.returned

    def reviews(self) -> list:
        """Every review it has had, newest first, from its history (a returned target's
        comment stays readable after it is approved). One query."""
        from django.db.models import Q

        said = Q()
        for start in REVIEW_STARTS:
            said |= Q(history_change_reason__startswith=start)
        return list(self.history.filter(said).select_related("reviewed_by").order_by("-history_id"))

    def may_review(self, access) -> bool:
        """Whether a user with this `UnitAccess` reviews it: a unit administrator (a project
        lets its section's chief review it too)."""
        return access.is_admin

    def available_actions(self, access, user) -> Actions:
        """What `user`, with this `UnitAccess` to the record's unit, may do with it now."""
        draft = self.status == Status.DRAFT
        reviewing = self.status == Status.SUBMITTED and self.may_review(access)
        own = reviewing and self.is_own_submission(user) and not self.department.is_one_person()
        return Actions(
            edit=draft and access.can_write,
            submit=draft and access.can_write,
            review=reviewing and not own,
            review_own=own,
            reopen=self.status == Status.APPROVED and access.is_admin,
        )
