"""Importing targets from Excel: the data workbook (DESIGN §7) or a form workbook as exported.

All or nothing. `import_prepare` reads and checks the whole file and raises `ImportRejected`
with every problem (sheet, row as the spreadsheet numbers it, column, message in Chinese);
nothing is written. Its plan lists what would be created and changed, for the dry run and the
upload page's preview. `import_apply` writes the plan in one transaction.

One job per module: `contract` (the sheet and column names the exporters write, the limits),
`read` (opening a file within the limits, cells), `data_sheets` and `form` (a workbook read
into specs), `plan` (the specs and problems), `check` (against the database), `describe` (the
preview), `prepare` and `apply` (the two entry points).
"""

from projects.importer.apply import import_apply
from projects.importer.contract import MAX_FILE_BYTES
from projects.importer.plan import ImportPlan, ImportRejected, Problem, ProjectSpec
from projects.importer.prepare import import_prepare

__all__ = [
    "MAX_FILE_BYTES",
    "ImportPlan",
    "ImportRejected",
    "Problem",
    "ProjectSpec",
    "import_apply",
    "import_prepare",
]
