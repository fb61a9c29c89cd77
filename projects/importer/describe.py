"""The preview of a checked plan: what an import would create and change, line by line, in the
words the upload page and the dry run show. Worked out on copies; nothing is written."""

import copy
from decimal import Decimal

from departments.models import DepartmentYear, Section
from perfbudget.lib.grades import Status
from perfbudget.lib.numbers import format_money
from projects.importer.plan import ImportPlan, ProjectSpec
from projects.models import Project
from projects.services import TreeChanges, tree_changes

# How the preview names each of a project's own fields: its column in 项目.
FIELD_LABELS = {
    "table_number": "表序号",
    "table_name": "表名称",
    "name": "项目名称",
    "budget_total": "预算数",
    "fiscal_funds": "财政资金",
    "other_funds": "其他资金",
    "fund_use": "资金用途",
    "target": "绩效目标",
}


def describe(plan: ImportPlan, existing: dict, categories: dict) -> list[str]:
    """The preview's lines: units, 第一部分, sections, then each project. Sets `plan.writes`:
    whether confirming would write anything."""
    lines = [f"新建单位 {code} {name}" for code, name in plan.new_departments.items()]
    for spec in plan.departments:  # every line up to the section indicators is a write
        current = DepartmentYear.objects.filter(department__code=spec.code, year=spec.year).first()
        if current is None:
            lines.append(f"新建部门年度绩效目标 {spec.code} {spec.year}年")
        elif spec.changes(current):
            lines.append(f"更新部门年度绩效目标 {spec.code} {spec.year}年")
    sections = {
        (s.department.code, s.name): s
        for s in Section.objects.filter(
            department__code__in={s.department_code for s in plan.sections}
        ).select_related("department")
    }
    for spec in plan.sections:
        current = sections.get((spec.department_code, spec.name))
        if current is None:
            lines.append(f"新建科室 {spec.name}")
        elif spec.changes(current):
            lines.append(f"更新科室 {spec.name}")
    writes = bool(lines)
    if plan.section_indicators:
        changed = plan.section_indicators_changed
        same = len(plan.section_indicators) - changed
        if changed:
            lines.append(
                f"新建或更新科室绩效指标 {changed} 条" + (f"，{same} 条无变化" if same else "")
            )
            writes = True
        else:
            lines.append(f"科室绩效指标 {same} 条：无变化")
    for spec in plan.projects:
        current = existing.get((spec.year, spec.code))
        if current is None:
            count = "无指标" if spec.indicators is None else f"{len(spec.indicators)} 条指标"
            lines.append(f"新建项目 {spec.year}年 {spec.code} {spec.name}（{count}）")
            writes = True
            continue
        if spec.skip:
            lines.append(
                f"跳过项目 {spec.year}年 {spec.code} {spec.name}"
                f"（{read_only_state(current)}，无变化）"
            )
            continue
        changed = project_changes(current, spec, categories)
        writes = writes or bool(changed)
        lines.append(
            f"更新项目 {spec.year}年 {spec.code} {spec.name}：{'；'.join(changed)}"
            if changed
            else f"项目 {spec.year}年 {spec.code} {spec.name}：无变化"
        )
    plan.writes = writes
    return lines


def project_changes(current: Project, spec: ProjectSpec, categories: dict) -> list[str]:
    """What the spec would change of the existing project, worked out once per spec (the
    read-only, file-version and preview checks all ask; the indicator pairing is the costly
    part)."""
    if spec.changes is None:
        spec.changes = _work_out_changes(current, spec, categories)
    return list(spec.changes)


def _work_out_changes(current: Project, spec: ProjectSpec, categories: dict) -> list[str]:
    changes = _changed_fields(current, spec)
    if spec.section_name and spec.section_name != (current.section.name if current.section else ""):
        changes.append("责任科室已修改")
    if spec.framework_code and spec.framework_code != current.framework.code:
        changes.append(f"指标体系 {current.framework.code} → {spec.framework_code}")
    if spec.indicators is not None:
        tree = _tree_preview(current, spec, categories)
        if tree:
            changes.append(_describe_tree(tree))
    return changes


def _changed_fields(current: Project, spec: ProjectSpec) -> list[str]:
    out = []
    for name in Project.OWN_FIELDS:
        label, old, new = FIELD_LABELS[name], getattr(current, name), getattr(spec, name)
        if old != new:
            if isinstance(new, Decimal) or isinstance(old, Decimal):
                out.append(f"{label} {format_money(old)} → {format_money(new)}")
            else:
                out.append(f"{label}：“{_short(old)}” → “{_short(new)}”")
    planned = {e.month: e.planned_percent for e in current.schedule.all()}
    if {m: p for m, p in planned.items() if p is not None} != {
        m: p for m, p in spec.schedule.items() if p is not None
    }:
        out.append("资金支出计划已修改")
    return out


def _short(value, length: int = 20) -> str:
    """A text as the preview quotes it: on one line, its first `length` characters."""
    text = " ".join(str(value if value is not None else "").split())
    return text if len(text) <= length else text[:length] + "…"


def _tree_preview(current: Project, spec: ProjectSpec, categories: dict) -> TreeChanges:
    """What the import would write to the project's indicators, worked out on copies."""
    return tree_changes(
        project=current,
        rows=[i.as_row() for i in spec.indicators],
        current=[copy.copy(i) for i in current.indicators.all()],
        categories=categories[spec.framework_code],
    )


def _describe_tree(changes: TreeChanges) -> str:
    parts = []
    if changes.update:
        parts.append(f"修改 {len(changes.update)} 条")
    if changes.create:
        parts.append(f"新增 {len(changes.create)} 条")
    if changes.delete:
        names = "、".join(
            i.name + ("（含已记录的实际完成值）" if hasattr(i, "result") else "")
            for i in changes.delete
        )
        parts.append(f"删除 {len(changes.delete)} 条：{names}")
    return "指标" + "，".join(parts)


def read_only_state(project: Project) -> str:
    if project.status != Status.DRAFT:
        return project.get_status_display()
    return "绩效自评已确认"
