"""绩效自评: saving a project's self-evaluation (amounts, each indicator's result) under the
scoring rules, and confirming it, after which it and the targets it scored are frozen."""

from django.db import transaction

from indicators.models import FUND_COLUMNS, Achievement, IndicatorResult, SelfEvaluation
from indicators.scoring import (
    ACHIEVEMENT_SHARES,
)
from indicators.values import parse_value
from perfbudget.lib.changes import SOMEONE, last_change
from projects.documents.evaluation_table import EvaluationTable, build_evaluation, for_evaluation
from projects.models import Project

CONFIRMED = "自评已确认，不能再修改"
NEW = -1  # the version a page shows before the first save
STALE = (
    "{who}已于 {when} 保存了这份自评，您看到的是保存前的内容。您填写的内容仍在下方，"
    "未被保存；请刷新页面核对后再填写"
)
# The year-end figures: the totals, then 当年财政拨款 and 上年结转资金 of each column.
AMOUNT_FIELDS = (
    "initial_budget",
    "annual_budget",
    "executed",
    *(f"{source}_{key}" for source in ("fiscal", "carryover") for key, _, _ in FUND_COLUMNS),
)
NEED_REASON = "以下指标失分，须填写偏差原因分析及改进措施：{names}"


class EvaluationRefused(Exception):
    """Self-evaluation input that cannot be saved; the message says why, in Chinese."""


@transaction.atomic
def evaluation_save(
    *, project: Project, amounts: dict, results: dict[int, dict], expected_version=None
) -> EvaluationTable:
    """Save the year-end figures and each indicator's actual result, then check that every lost
    point has a reason; on any problem nothing is saved. `expected_version` is the version the
    page showed (`NEW` for a self-evaluation not yet saved): a page opened before someone
    else's save is refused."""
    evaluation = SelfEvaluation.objects.select_for_update().filter(project=project).first()
    if evaluation and evaluation.confirmed:
        raise EvaluationRefused(CONFIRMED)
    if expected_version is not None and (evaluation.version if evaluation else NEW) != (
        expected_version
    ):
        who, when = last_change(evaluation) if evaluation else (SOMEONE, "")
        raise EvaluationRefused(STALE.format(who=who, when=when))
    evaluation = evaluation or SelfEvaluation(project=project)
    evaluation.version += 1
    for key in AMOUNT_FIELDS:
        setattr(evaluation, key, amounts.get(key))
    evaluation.outcome = (amounts.get("outcome") or "").strip()
    evaluation.full_clean()
    evaluation.save()
    existing = {
        r.indicator_id: r for r in IndicatorResult.objects.filter(indicator__project=project)
    }
    for indicator in project.indicators.all():
        data = results.get(indicator.pk)
        if data is None:
            continue
        _check_result(indicator.name, data)
        result = existing.get(indicator.pk) or IndicatorResult(indicator=indicator)
        result.actual_text = data["actual"].strip()
        result.actual_number = parse_value(result.actual_text).number
        result.achievement = data.get("achievement", "")
        result.achievement_share = data.get("share")
        result.weight = data.get("weight")
        result.deviation_reason = data.get("reason", "").strip()
        result.full_clean()
        result.save()
    table = build_evaluation(for_evaluation().get(pk=project.pk))
    unexplained = [r.name for r in table.rows if r.lost and not r.reason]
    if unexplained:
        raise EvaluationRefused(NEED_REASON.format(names="、".join(unexplained)))
    return table


NEGATIVE_WEIGHT = "{name}：权重不能为负数"
SHARE_OUT_OF_RANGE = "{name}：得分比例应在 0% 到 100% 之间"
SHARE_OUT_OF_BAND = "{name}：{label}的得分比例应在 {low}% 到 {high}% 之间"


def _check_result(name: str, data: dict) -> None:
    """A weight is a share of its 一级's points (never below zero, or a total could pass 100);
    a 定性 judgement's share stays inside its band (部分达成 60–80%)."""
    weight, share = data.get("weight"), data.get("share")
    if weight is not None and weight < 0:
        raise EvaluationRefused(NEGATIVE_WEIGHT.format(name=name))
    achievement = data.get("achievement", "")
    if share is not None and achievement in ACHIEVEMENT_SHARES:
        low, high = ACHIEVEMENT_SHARES[achievement]
        if not low <= share <= high:
            label = Achievement(achievement).label
            raise EvaluationRefused(
                SHARE_OUT_OF_BAND.format(name=name, label=label, low=low, high=high)
            )
    if share is not None and not 0 <= share <= 100:
        raise EvaluationRefused(SHARE_OUT_OF_RANGE.format(name=name))


@transaction.atomic
def evaluation_confirm(*, project: Project) -> None:
    evaluation = SelfEvaluation.objects.select_for_update().filter(project=project).first()
    table = build_evaluation(for_evaluation().get(pk=project.pk))
    if evaluation is None or not table.complete:
        raise EvaluationRefused("自评尚未填写完整，不能确认")
    evaluation.status = SelfEvaluation.Status.CONFIRMED
    evaluation._change_reason = "确认自评"
    evaluation.save()
