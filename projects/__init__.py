"""Budget projects and everything done with them.

- `models.py`: projects, budget years, schedules; `Project.indicator_tree()` is the one walk of a
  table's 一级 → 二级 → 三级; `available_actions()` (on `perfbudget.lib.grades.Reviewed`, which
  projects and unit-years share) says what a page offers; `BudgetYear.milestones_of(year)`.
- `tables.py`, `filters.py`: the project list's columns and filters.
- `access.py`: a project and the user's access to its unit, read once per request.
- `views/` (one module per resource) and `urls.py` (projects, and the unit-year pages as one
  `unit_year` group).
- `services/`: every write that touches several rows (tree, unit years, projects, copying);
  `workflow.py`: submit, review, reopen; `evaluation.py`: saving and confirming 绩效自评.
- `documents/`: what each printed form and workbook contains and how HTML, PDF and Excel draw it.
- `importer/`: reading a workbook back (contract, read, data sheets, form, check, describe,
  apply, findings: the quality findings of a file before it is imported).
- `findings.py`: 审核检查 of a unit-year (findings, counts per rule, ranking).
- `backup/`, `history.py` (修改记录), `monitoring.py` (执行监控), `draft.py` (an unsaved editor
  page as the checks read it), `management/commands/`.

The unit-year's 第一部分 pages and its services are in `departments/` (`views.py`,
`services.py`); the unit-year's project-side pages in `views/unit_years.py`; both are mounted
as one `unit_year` URL group here.
"""
