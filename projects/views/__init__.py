"""The project app's pages, one module per resource:

- `projects`: the list, a project's table, downloads, copy, review transitions, history
- `editor`: the project editor and its live checks and suggestions
- `unit_years`: a unit-year's booklet and data downloads, copy, order, 第一部分's review, history,
  and opening a year
- `checks`: 审核检查 of a unit-year and a project's 审核意见书 (reviews themselves are
  transitions: `projects.project_transition`, `unit_years.department_year_transition`)
- `imports`: upload, preview, confirm
- `monitoring`, `evaluation`: year-end work
- `home`: the start page
- `common`: the transition, copy and audit-trail responses they share

A view reaches its object through one getter that returns it with the user's `UnitAccess`
(`projects.access.get_project`/`get_rw_project`, `departments.access.get_department_year`/
`get_rw_department_year`) and hands that access to the services it calls.
"""
