"""The quality checks' view of an unsaved editor page: the posted form read as far as it can be
read (a row without a name, a number that is no number), never refused, so that the editor's
live checks speak while the clerk types. Nothing here writes."""

from indicators.checks import IndicatorData, PrimaryData, SecondaryData, TargetData
from indicators.values import format_value
from perfbudget.lib.numbers import number_or_none


def draft_target_data(post, categories, milestones) -> TargetData:
    """The checks' view of an unsaved editor page, read as far as it can be read."""
    total = int(number_or_none(post.get("ind-TOTAL_FORMS")) or 0)
    rows: dict[int, list[tuple[int, IndicatorData]]] = {}
    for i in range(min(total, 1000)):
        prefix = f"ind-{i}-"
        name = post.get(prefix + "name", "").strip()
        if post.get(prefix + "DELETE") or not (
            name or post.get(prefix + "text") or post.get(prefix + "number")
        ):
            continue
        operator = post.get(prefix + "operator", "定性")
        if operator == "定性":
            value_text = post.get(prefix + "text", "").strip()
        else:
            value_text = format_value(
                operator,
                number_or_none(post.get(prefix + "number")),
                post.get(prefix + "unit", "").strip(),
            )
        category = number_or_none(post.get(prefix + "category"))
        order = number_or_none(post.get(prefix + "ORDER")) or i
        row = IndicatorData(
            f"row-{i}",
            name,
            post.get(prefix + "description", ""),
            value_text,
            post.get(prefix + "basis", ""),
        )
        rows.setdefault(int(category or 0), []).append((order, row))
    primaries: dict[int, PrimaryData] = {}
    for category in categories:
        primary = primaries.setdefault(
            category.primary_id,
            PrimaryData(category.primary.name, [], category.primary.kind),
        )
        items = [row for _, row in sorted(rows.get(category.pk, []), key=lambda x: x[0])]
        primary.secondaries.append(SecondaryData(category.name, category.counts_as_cost, items))
    return TargetData(
        number_or_none(post.get("budget_total")),
        number_or_none(post.get("fiscal_funds")),
        number_or_none(post.get("other_funds")),
        post.get("target", ""),
        {m: number_or_none(post.get(f"schedule_{m}")) for m in milestones},
        milestones,
        list(primaries.values()),
        categories[0].primary.framework_id if categories else None,
    )
