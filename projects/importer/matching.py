"""Pairing a file's 科室指标 rows with the stored rating indicators: by 指标编号, then by
(科室, 年度, name). The check asks which rows would change a 第一部分 (to refuse changes to a
read-only one, or to a confirmed rating's scale, before anything is confirmed); the write
writes exactly those rows."""

from dataclasses import dataclass

from departments.models import SectionIndicator
from projects.importer.plan import ImportPlan, SectionIndicatorSpec


@dataclass
class IndicatorChange:
    spec: SectionIndicatorSpec
    indicator: SectionIndicator | None  # None: a new indicator
    values: dict  # the fields to set


def section_indicator_changes(plan: ImportPlan, sections: dict) -> list[IndicatorChange]:
    """The rows that create or change an indicator; `sections` maps (unit code, 科室) to the
    stored sections (a row of a section not stored yet is a new indicator)."""
    current = list(
        SectionIndicator.objects.filter(
            section__in=sections.values(), year__in={s.year for s in plan.section_indicators}
        )
    )
    by_key = {i.pk: i for i in current}
    by_name = {(i.section_id, i.year, i.name): i for i in current}
    last: dict = {}
    for indicator in current:
        slot = (indicator.section_id, indicator.year)
        last[slot] = max(last.get(slot, 0), indicator.order)
    changes = []
    for spec in plan.section_indicators:
        section = sections.get((spec.department_code, spec.section))
        if section is None:
            changes.append(IndicatorChange(spec, None, {"name": spec.name, **spec.bounds}))
            continue
        indicator = by_key.get(spec.key)
        if indicator is None or indicator.year != spec.year:
            indicator = by_name.get((section.pk, spec.year, spec.name))
        values = {"section_id": section.pk, "name": spec.name, **spec.bounds}
        if indicator is None or indicator.section_id != section.pk:
            slot = (section.pk, spec.year)
            last[slot] = last.get(slot, 0) + 1
            values["order"] = last[slot]
        if indicator is not None and all(getattr(indicator, k) == v for k, v in values.items()):
            continue
        changes.append(IndicatorChange(spec, indicator, values))
    return changes
