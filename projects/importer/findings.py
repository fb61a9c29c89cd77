"""The quality findings of each project of a checked import, before it is confirmed: the same
rules and 审核口径 as the editor and the project page, run on what the file would write."""

from dataclasses import dataclass

from indicators.checks import (
    Finding,
    IndicatorData,
    LevelsCache,
    Severity,
    TargetData,
    check_target_data,
    framework_tree,
)
from indicators.models import FrameworkVersion
from projects.importer import ImportPlan, ProjectSpec
from projects.models import BudgetYear, Project


@dataclass
class ProjectFindings:
    spec: ProjectSpec
    findings: list[Finding]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)


def _frameworks(codes: set[str]) -> dict[str, FrameworkVersion]:
    return {
        f.code: f
        for f in FrameworkVersion.objects.filter(code__in=codes).prefetch_related(
            "primaries__secondaries"
        )
    }


def _existing_rows(plan: ImportPlan) -> dict[tuple[int, str], list]:
    """Indicators of projects the file leaves as they are (a form without an indicator sheet)."""
    keys = [(s.year, s.code) for s in plan.projects if s.indicators is None and not s.skip]
    out: dict[tuple[int, str], list] = {}
    if not keys:
        return out
    years, codes = {k[0] for k in keys}, {k[1] for k in keys}
    for project in Project.objects.filter(year__in=years, code__in=codes).prefetch_related(
        "indicators__category__primary"
    ):
        out[(project.year, project.code)] = [
            (
                i.category.primary.name,
                i.category.name,
                IndicatorData(f"indicator-{i.pk}", i.name, i.description, i.value_text, i.basis),
            )
            for i in project.indicators.all()
        ]
    return out


def _data(spec: ProjectSpec, framework, rows, milestones) -> TargetData:
    by_place: dict[tuple[str, str], list] = {}
    for primary, secondary, row in rows:
        by_place.setdefault((primary, secondary), []).append(row)
    primaries = framework_tree(framework, lambda p, s: by_place.get((p.name, s.name), []))
    return TargetData(
        spec.budget_total,
        spec.fiscal_funds,
        spec.other_funds,
        spec.target,
        dict(spec.schedule),
        milestones,
        primaries,
        framework.pk,
    )


def plan_findings(plan: ImportPlan) -> list[ProjectFindings]:
    """Findings per project the import would write, in file order (skipped projects left out)."""
    specs = [s for s in plan.projects if not s.skip]
    frameworks = _frameworks({s.framework_code for s in specs})
    existing = _existing_rows(plan)
    levels = LevelsCache()
    milestones: dict[int, list[int]] = {}
    out = []
    for spec in specs:
        framework = frameworks.get(spec.framework_code)
        if framework is None:
            continue
        if spec.year not in milestones:
            milestones[spec.year] = BudgetYear.milestones_of(spec.year)
        if spec.indicators is None:
            rows = existing.get((spec.year, spec.code), [])
        else:
            rows = [
                (
                    i.primary,
                    i.secondary,
                    IndicatorData(f"row-{i.row}", i.name, i.description, i.value_text, i.basis),
                )
                for i in spec.indicators
            ]
        data = _data(spec, framework, rows, milestones[spec.year])
        out.append(ProjectFindings(spec, check_target_data(data, levels(framework.pk))))
    return out
