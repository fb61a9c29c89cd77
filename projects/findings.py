"""审核检查 of a unit-year: the quality findings of 第一部分 and of every project (each under
its framework's 审核口径), how often each rule fired, and the projects with most to fix."""

from departments.models import DepartmentYear
from projects.models import BudgetYear, Project


def department_findings(department_year: DepartmentYear) -> list[tuple[Project | None, list]]:
    """The quality findings of 第一部分 and of every project of the unit-year, in booklet order,
    each project under its framework's 审核口径."""
    from indicators.checks import LevelsCache, check_department_year, check_project

    milestones = BudgetYear.milestones_of(department_year.year)
    projects = (
        Project.objects.for_table()
        .filter(department=department_year.department, year=department_year.year)
        .in_booklet_order()
    )
    levels = LevelsCache()
    results: list[tuple[Project | None, list]] = [(None, check_department_year(department_year))]
    results += [
        (project, check_project(project, milestones, levels(project.framework_id)))
        for project in projects
    ]
    return results


def rule_counts(results) -> list[tuple[str, str, int]]:
    """How often each rule fired across the unit-year: (rule name, severity, count), most first."""
    from collections import Counter

    counts = Counter((f.title, f.severity) for _, findings in results for f in findings)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(
        ((title, severity, n) for (title, severity), n in counts.items()),
        key=lambda x: (order[x[1]], -x[2], x[0]),
    )


def ranked_projects(results) -> list[tuple[Project, dict[str, int]]]:
    """Projects with the most findings first (errors, then warnings, then hints)."""
    rows = []
    for project, findings in results:
        if project is None:
            continue
        counts = {"error": 0, "warning": 0, "info": 0}
        for f in findings:
            counts[f.severity] += 1
        rows.append((project, counts))
    return sorted(rows, key=lambda r: (-r[1]["error"], -r[1]["warning"], -r[1]["info"]))
