"""绩效自评: saving a project's self-evaluation (amounts, each indicator's result) under the
scoring rules, and confirming it, after which it and the targets it scored are frozen."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from indicators.models import (
    FUND_COLUMNS,
    FUND_SOURCES,
    Achievement,
    IndicatorResult,
    SelfEvaluation,
)
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
    *(f"{source}_{key}" for source, _ in FUND_SOURCES for key, _, _ in FUND_COLUMNS),
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
    # The project's row is the lock: two first saves find no self-evaluation row to lock, and
    # the second would fail creating the one the first has just made.
    list(Project.objects.select_for_update().filter(pk=project.pk).values_list("pk"))
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
    if len(evaluation.outcome) > OUTCOME_MAX:
        raise EvaluationRefused(OUTCOME_TOO_LONG.format(limit=OUTCOME_MAX))
    if evaluation.annual_budget == 0:
        raise EvaluationRefused(NO_BUDGET)
    _clean(evaluation)
    evaluation.save()
    existing = {
        r.indicator_id: r for r in IndicatorResult.objects.filter(indicator__project=project)
    }
    indicators = list(project.indicators.select_related("category__primary"))
    _check_weights(indicators, results)
    for indicator in indicators:
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
        _clean(result, f"{indicator.name}：")
        result.save()
    table = build_evaluation(for_evaluation().get(pk=project.pk))
    unexplained = [r.name for r in table.rows if r.lost and not r.reason]
    if unexplained:
        raise EvaluationRefused(NEED_REASON.format(names="、".join(unexplained)))
    return table


def _clean(record, prefix: str = "") -> None:
    """Validate a record; a refusal names the field (全年执行数：…, or for a result the
    indicator and the field), without the stray full stop of Django's own messages."""
    try:
        record.full_clean()
    except ValidationError as error:
        parts = []
        for field, messages in error.message_dict.items():
            label = "" if field == NON_FIELD_ERRORS else record._meta.get_field(field).verbose_name
            for message in messages:
                message = message.rstrip(".")
                parts.append(f"{prefix}{label}：{message}" if label else f"{prefix}{message}")
        raise EvaluationRefused("；".join(parts)) from None


def _check_weights(indicators, results: dict) -> None:
    """Weights share out a 一级's points: all of its 三级 weighted, or none (a part weighted
    would be ignored without a word)."""
    by_primary: dict[str, list] = {}
    for indicator in indicators:
        weight = (results.get(indicator.pk) or {}).get("weight")
        by_primary.setdefault(indicator.category.primary.name, []).append(weight is not None)
    for primary, weighted in by_primary.items():
        if any(weighted) and not all(weighted):
            raise EvaluationRefused(PARTLY_WEIGHTED.format(primary=primary))


OUTCOME_MAX = 2000
OUTCOME_TOO_LONG = "年度总体目标实际完成情况最多 {limit} 字，请精简后保存"
NO_BUDGET = "全年预算数须大于 0：没有预算就无从计算执行率"
PARTLY_WEIGHTED = "{primary}下的三级指标权重须全部填写或全部留空（留空时平均分配分值）"
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
