"""Reading and checking a workbook into a plan, writing nothing: the dry run, the upload page's
preview and the first half of every import."""

from perfbudget.lib.memory import collector_paused
from projects.importer.check import check_against_database, version_problems
from projects.importer.contract import PROJECT_SHEET
from projects.importer.data_sheets import read_data_workbook
from projects.importer.form import read_form_workbook
from projects.importer.plan import ImportPlan, ImportRejected, Problem
from projects.importer.read import cell_text, open_form, open_workbook

UNKNOWN_LAYOUT = "无法识别工作簿：应为含“项目”工作表的数据工作簿，或本系统导出的绩效目标表。"


def import_prepare(
    data: bytes, *, user=None, default_year: int | None = None, seen: tuple | None = None
) -> ImportPlan:
    """Read and check a workbook. `user` None means an administrator (the command), who may
    create units; otherwise only units where the user may write are accepted. `seen` is the
    (versions, unit_versions) of the plan a user previewed: anything changed since is refused,
    so a confirmation never writes over what the preview did not show."""
    with collector_paused():
        return _prepare(data, user=user, default_year=default_year, seen=seen)


def _prepare(data: bytes, *, user, default_year, seen) -> ImportPlan:
    wb = open_workbook(data)
    problems: list[Problem] = []
    if PROJECT_SHEET in wb.sheetnames:
        plan = read_data_workbook(wb, problems, user)
    elif wb.worksheets and "绩效目标表" in cell_text(wb.worksheets[0].first_value()):
        plan = read_form_workbook(open_form(data), problems, default_year)
    else:
        raise ImportRejected([Problem("文件", None, None, UNKNOWN_LAYOUT)])
    if not problems and not (
        plan.projects or plan.departments or plan.sections or plan.section_indicators
    ):
        problems.append(Problem("文件", None, None, "工作簿中没有可导入的数据"))
    if not problems:
        check_against_database(plan, problems, user)
    if not problems and seen is not None:
        problems += version_problems(plan, seen, (plan.versions, plan.unit_versions))
    if problems:
        raise ImportRejected(problems)
    return plan
