"""What an import reads out of a workbook, record by record, before anything is written: the
specs, the plan that gathers them with what the checks learnt, and the problems that refuse a
file."""

from dataclasses import dataclass, field
from decimal import Decimal

from projects.importer.contract import PROJECT_SHEET

# The two kinds of workbook an import reads.
DATA_WORKBOOK = "数据工作簿"
FORM_WORKBOOK = "绩效目标表"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (sheet, row as the spreadsheet numbers it, column)
    and what, in Chinese."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.sheet == "文件":
            return self.message
        where = f"工作表“{self.sheet}”"
        if self.row:
            where += f" 第{self.row}行"
        if self.column:
            where += f" {self.column}"
        return f"{where}：{self.message}"


class ImportRejected(Exception):
    """A file refused, with every problem found; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class IndicatorSpec:
    primary: str
    secondary: str
    name: str
    description: str
    value_text: str
    basis: str
    row: int
    key: int | None = None  # the indicator's id, from a data workbook this app wrote

    def as_row(self) -> dict:
        return {
            "key": self.key,
            "一级指标": self.primary,
            "二级指标": self.secondary,
            "三级指标": self.name,
            "绩效指标描述": self.description,
            "指标值": self.value_text,
            "指标值确定依据": self.basis,
        }


@dataclass
class ProjectSpec:
    year: int
    department_code: str
    department_name: str
    table_number: int
    table_name: str
    code: str
    name: str
    budget_total: Decimal
    fiscal_funds: Decimal
    other_funds: Decimal | None
    fund_use: str
    schedule: dict[int, Decimal | None]
    target: str
    framework_code: str
    section_name: str
    row: int
    sheet: str = PROJECT_SHEET
    indicators: list[IndicatorSpec] | None = None  # None: keep the project's indicators
    skip: bool = False  # a read-only project the file leaves unchanged
    version: int | None = None  # the project's version when the file was written
    changes: list[str] | None = None  # what it changes of the existing project, once known


def same_text(stored: str, read: str) -> bool:
    """A stored text and the same text read back from a cell: a cell is read stripped and with
    plain line ends, so trailing blanks or CRLF line ends stored by another way in are no
    change (an unchanged import must write nothing and leave no history)."""
    return (stored or "").replace("\r\n", "\n").strip() == (read or "").replace(
        "\r\n", "\n"
    ).strip()


@dataclass
class DepartmentSpec:
    year: int
    code: str
    name: str
    overall_target: str
    safeguards: str
    row: int
    version: int | None = None  # the 第一部分's version when the file was written

    def changes(self, current) -> bool:
        """Whether the row changes the stored 第一部分's texts."""
        return not (
            same_text(current.overall_target, self.overall_target)
            and same_text(current.safeguards, self.safeguards)
        )


@dataclass
class SectionSpec:
    year: int
    department_code: str
    name: str
    order: int
    duties: str
    row: int

    def changes(self, section) -> bool:
        """Whether the row changes the stored section's place or duties."""
        return section.order != self.order or not same_text(section.duties, self.duties)


@dataclass
class SectionIndicatorSpec:
    year: int
    department_code: str
    section: str
    name: str
    bounds: dict
    row: int
    key: int | None = None  # the section indicator's id, from a data workbook this app wrote


@dataclass
class ImportPlan:
    kind: str
    projects: list[ProjectSpec] = field(default_factory=list)
    departments: list[DepartmentSpec] = field(default_factory=list)
    sections: list[SectionSpec] = field(default_factory=list)
    section_indicators: list[SectionIndicatorSpec] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    new_departments: dict[str, str] = field(default_factory=dict)
    # The version of each existing project the plan was checked against: the write refuses a
    # project that changed since (a save, a submission, a review, another import).
    versions: dict[tuple[int, str], int] = field(default_factory=dict)
    unit_versions: dict[tuple[str, int], int] = field(default_factory=dict)
    # Unit-years whose 部门 row was written before the 第一部分 changed: (file, now) versions.
    stale_units: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    # The 科室指标 rows that create or change an indicator (counted by the check).
    section_indicators_changed: int = 0
    # Whether confirming writes anything (set by the preview's description).
    writes: bool = True

    @property
    def summary(self) -> str:
        indicators = sum(len(p.indicators or []) for p in self.projects)
        return f"{self.kind}：{len(self.projects)} 个项目，{indicators} 条指标"

    @property
    def written(self) -> str:
        """What the write did to the file's projects (once the plan was checked: a project
        whose changes were never worked out is new)."""
        new = sum(1 for p in self.projects if not p.skip and p.changes is None)
        changed = sum(1 for p in self.projects if not p.skip and p.changes)
        unchanged = len(self.projects) - new - changed
        if self.projects and not new and not changed:
            if self.writes:  # the unit's rows were written
                return f"{unchanged} 个项目均无变化；部门、科室或科室指标已更新"
            return f"{unchanged} 个项目均无变化，未写入"
        parts = [f"新建 {new} 个项目" if new else "", f"更新 {changed} 个项目" if changed else ""]
        parts.append(f"{unchanged} 个无变化未写入" if unchanged else "")
        return "，".join(part for part in parts if part)

    @property
    def outcome(self) -> str:
        """The summary and what was written, for the message after an import."""
        return "。".join(part for part in (self.summary, self.written) if part)
