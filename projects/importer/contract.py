"""The exchange contract of the workbooks the app writes and reads back (DESIGN §7): sheet and
column names, the record keys and versions, the hidden meta sheet of a form workbook, and the
limits of a file the importer accepts. The exporters (`projects/documents/data_workbook.py`,
`projects/documents/xlsx.py`) write these names and the importer reads them.

Constants only: an exporter imports them without pulling in a model or a service."""

import re

# The sheets of the data workbook; only 项目 is required on import.
PROJECT_SHEET = "项目"
INDICATOR_SHEET = "指标"
DEPARTMENT_SHEET = "部门"
SECTION_SHEET = "科室"
SECTION_INDICATOR_SHEET = "科室指标"

# The record's version when the file was written: an import of an older file that would change
# the record is refused instead of undoing what colleagues saved since.
VERSION_HEADER = "数据版本"
# The last column of 指标 and 科室指标: the record's id, so that a re-import pairs each row with
# its own record whatever the rows' order or names (optional on import).
INDICATOR_KEY = "指标编号"

PROJECT_COLUMNS = [
    "年度",
    "单位编码",
    "单位名称",
    "表序号",
    "表名称",
    "项目编码",
    "项目名称",
    "预算数",
    "财政资金",
    "其他资金",
    "资金用途",
]  # then one column per milestone, then 绩效目标, 指标体系, 责任科室
PROJECT_TAIL = ["绩效目标", "指标体系", "责任科室", VERSION_HEADER]
# A milestone's column of 项目 (3月底): the cumulative percent planned to be spent by then.
MONTH_HEADER = re.compile(r"^(\d{1,2})月底$")
INDICATOR_COLUMNS = [
    "年度",
    "项目编码",
    "一级指标",
    "二级指标",
    "三级指标",
    "绩效指标描述",
    "指标值",
    "指标值确定依据",
]
# The columns of a form's indicator grid (绩效指标描述 spans D and E), in INDICATOR_COLUMNS'
# order from 一级指标 on.
FORM_GRID_COLUMNS = (1, 2, 3, 4, 6, 7)


def indicator_column(header: str, *, form: bool) -> str:
    """Where an indicator's field sits, as a problem names it: "E列（三级指标）" in the data
    workbook's 指标 sheet, "C列（三级指标）" in a form's grid."""
    if form:
        col = FORM_GRID_COLUMNS[INDICATOR_COLUMNS.index(header) - 2]
    else:
        col = INDICATOR_COLUMNS.index(header) + 1
    return f"{chr(ord('A') + col - 1)}列（{header}）"


DEPARTMENT_COLUMNS = ["年度", "单位编码", "单位名称", "总体绩效目标", "工作保障措施"]
DEPARTMENT_TAIL = [VERSION_HEADER]
SECTION_COLUMNS = ["年度", "单位编码", "科室", "序号", "职责"]
SECTION_INDICATOR_COLUMNS = ["年度", "单位编码", "科室", "绩效指标", "优", "良", "中", "差"]

# A form workbook's hidden sheet: what the printed form does not show (year, framework), so
# that the form can be imported back as the same project.
META_SHEET = "元数据"
# Its rows, one per key: columns of 项目 under the same names, read back as that sheet's.
META_KEYS = ("年度", "单位编码", "单位名称", "表序号", "表名称", "项目编码", "指标体系", "责任科室")
META_KEYS += (VERSION_HEADER,)

# Limits far above what a real unit imports (a unit has tens of projects, a project tens of
# indicators), low enough that no import holds a worker for long (README: 导入限制).
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 5_000  # rows of a sheet, header included, unless SHEET_ROWS says otherwise
SHEET_ROWS = {INDICATOR_SHEET: 20_000}
MAX_COLUMNS = 60
MAX_CELLS = 300_000  # non-empty cells of the whole workbook
