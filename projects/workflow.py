"""The review cycle of projects and department years (DESIGN §4).

草稿 → 已提交 (finance, only without quality errors) → 已审核 (the section's chief grades 优 or 良);
a grade of 中 returns the target for revision and 差 rejects it, both back to 草稿 with the grade
and comment kept. An approved target is reopened only by a unit administrator, with a reason.
Every transition is saved with its user and reason in the history.

Each service takes the caller's `UnitAccess` (read once by the view's access getter); a caller
without one (a command, a script) leaves it out and it is read here."""

from django.db import transaction
from django.utils import timezone

from departments.access import UnitAccess, access_for
from departments.models import DepartmentYear
from indicators.checks import Severity, check_department_year, check_project, review_aid
from perfbudget.lib.grades import Grade, Status
from projects.models import BudgetYear, Project


class WorkflowRefused(Exception):
    """A transition that may not happen now; the message says why, in Chinese."""


NOT_DRAFT = "只有草稿可以提交（当前：{status}）"
HAS_ERRORS = "还有 {count} 个审核错误，改正后才能提交"
NOT_SUBMITTED = "只有已提交的{what}可以审核（当前：{status}）"
NOT_APPROVED = "只有已审核的{what}可以重新打开（当前：{status}）"
NO_RIGHT_SUBMIT = "您没有提交该单位绩效目标的权限"
NO_RIGHT_REVIEW = "只有该项目责任科室的负责人或单位管理员可以审核"
NO_RIGHT_REVIEW_UNIT = "只有单位管理员可以审核部门整体绩效目标"
NO_RIGHT_REOPEN = "只有单位管理员可以重新打开已审核的绩效目标"
NEED_GRADE = "请选择审核等级（优、良、中、差）"
NEED_COMMENT = "审核等级为“中”或“差”时须填写审核意见"
NEED_REASON = "请填写重新打开的理由"
SELF_REVIEW = "提交人不能审核自己提交的绩效目标，请由{who}审核"
# Who reviews instead of the submitter: a project's section chief or an administrator; 第一部分
# only an administrator.
OTHER_REVIEWER = {"项目": "本科室负责人或单位管理员", "部门整体绩效目标": "本单位的另一位管理员"}
SELF_REVIEWED = "（单人单位：提交人自行审核）"
NO_SECTION = (
    "该项目未指定责任科室，不会交给任何科室负责人审核，将由单位管理员审核。"
    "如应由科室负责人审核，请在编辑页选择责任科室。"
)
REASON_MAX = 500
REASON_TOO_LONG = "重新打开的理由不能超过 {max} 字（现有 {length} 字）"

REASONS = {
    Grade.EXCELLENT: "审核通过（优）",
    Grade.GOOD: "审核通过（良）",
    Grade.FAIR: "退回修改（中）",
    Grade.POOR: "不予通过（差）",
}


REVIEW_FIELDS = [
    "status",
    "review_grade",
    "suggested_grade",
    "review_comment",
    "reviewed_by",
    "reviewed_at",
    "submitted_by",
]


def _save(obj, reason: str) -> None:
    """Write the transition's own fields, and a new version: an editor page opened before the
    transition is refused on save instead of silently undoing it."""
    obj._change_reason = reason
    obj.version += 1
    fields = [*REVIEW_FIELDS, "version"]
    if isinstance(obj, Project):
        fields.append("updated_at")
    obj.save(update_fields=fields)


def _errors(findings) -> int:
    return sum(1 for f in findings if f.severity == Severity.ERROR)


def _submit(obj, user, access, findings, what: str) -> None:
    if not access_for(user, obj.department, access).can_write:
        raise WorkflowRefused(NO_RIGHT_SUBMIT)
    if obj.status != Status.DRAFT:
        raise WorkflowRefused(NOT_DRAFT.format(status=obj.get_status_display()))
    if count := _errors(findings):
        raise WorkflowRefused(HAS_ERRORS.format(count=count))
    obj.status, obj.submitted_by = Status.SUBMITTED, user
    _save(obj, f"提交{what}")


OVERRIDE = "（建议等级{suggested}，审核人定为{grade}）"


def _review(obj, user, grade: str, comment: str, what: str, suggested: str = "") -> None:
    if obj.status != Status.SUBMITTED:
        raise WorkflowRefused(NOT_SUBMITTED.format(what=what, status=obj.get_status_display()))
    if grade not in Grade.values:
        raise WorkflowRefused(NEED_GRADE)
    comment = (comment or "").strip()
    if grade in (Grade.FAIR, Grade.POOR) and not comment:
        raise WorkflowRefused(NEED_COMMENT)
    reason = REASONS[Grade(grade)]
    if suggested and suggested != grade:
        reason += OVERRIDE.format(suggested=suggested, grade=grade)
    if obj.is_own_submission(user):
        if not obj.department.is_one_person():
            raise WorkflowRefused(SELF_REVIEW.format(who=OTHER_REVIEWER[what]))
        reason += SELF_REVIEWED
    obj.review_grade, obj.review_comment = grade, comment
    obj.suggested_grade = suggested
    obj.reviewed_by, obj.reviewed_at = user, timezone.now()
    obj.status = Status.APPROVED if grade in (Grade.EXCELLENT, Grade.GOOD) else Status.DRAFT
    _save(obj, reason)


def _reopen(obj, user, access, reason: str) -> None:
    if not access_for(user, obj.department, access).is_admin:
        raise WorkflowRefused(NO_RIGHT_REOPEN)
    if obj.status != Status.APPROVED:
        raise WorkflowRefused(NOT_APPROVED.format(what="绩效目标", status=obj.get_status_display()))
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowRefused(NEED_REASON)
    if len(reason) > REASON_MAX:
        raise WorkflowRefused(REASON_TOO_LONG.format(max=REASON_MAX, length=len(reason)))
    obj.status = Status.DRAFT
    _save(obj, f"重新打开：{reason}")


@transaction.atomic
def project_submit(*, project: Project, user, access: UnitAccess | None = None) -> None:
    project = Project.objects.for_table().select_for_update(of=("self",)).get(pk=project.pk)
    findings = check_project(project, BudgetYear.milestones_of(project.year))
    _submit(project, user, access, findings, "")


@transaction.atomic
def project_review(
    *, project: Project, user, grade: str, comment: str, access: UnitAccess | None = None
) -> None:
    project = (
        Project.objects.for_table()
        .select_related("department")
        .select_for_update(of=("self",))
        .get(pk=project.pk)
    )
    if not project.may_review(access_for(user, project.department, access)):
        raise WorkflowRefused(NO_RIGHT_REVIEW)
    aid = review_aid(project, BudgetYear.milestones_of(project.year))
    if grade in aid.drafts:
        others = {d.strip() for g, d in aid.drafts.items() if g != grade}
        if (comment or "").strip() in others:
            # The draft of another grade, sent untouched: the chosen grade's draft is meant.
            comment = aid.drafts[grade]
    _review(project, user, grade, comment, "项目", aid.grade)


@transaction.atomic
def project_reopen(
    *, project: Project, user, reason: str, access: UnitAccess | None = None
) -> None:
    project = Project.objects.select_for_update().get(pk=project.pk)
    _reopen(project, user, access, reason)


@transaction.atomic
def department_year_submit(
    *, department_year: DepartmentYear, user, access: UnitAccess | None = None
) -> None:
    fresh = (
        DepartmentYear.objects.with_part_one(department_year.year)
        .select_for_update(of=("self",))
        .get(pk=department_year.pk)
    )
    _submit(fresh, user, access, check_department_year(fresh), "部门整体绩效目标")


@transaction.atomic
def department_year_review(
    *,
    department_year: DepartmentYear,
    user,
    grade: str,
    comment: str,
    access: UnitAccess | None = None,
) -> None:
    fresh = (
        DepartmentYear.objects.select_related("department")
        .select_for_update(of=("self",))
        .get(pk=department_year.pk)
    )
    if not fresh.may_review(access_for(user, fresh.department, access)):
        raise WorkflowRefused(NO_RIGHT_REVIEW_UNIT)
    _review(fresh, user, grade, comment, "部门整体绩效目标")


@transaction.atomic
def department_year_reopen(
    *, department_year: DepartmentYear, user, reason: str, access: UnitAccess | None = None
) -> None:
    fresh = DepartmentYear.objects.select_for_update().get(pk=department_year.pk)
    _reopen(fresh, user, access, reason)
