"""An independent reader of the published reference document (text extracted from Word, one
table cell per tab-indented line, table rows separated by blank lines). Tests compare what the
app holds and prints with what this reader finds in the original."""

import re
from dataclasses import dataclass, field
from pathlib import Path

REFERENCE = (
    Path(__file__).resolve().parent.parent
    / "fixtures"
    / "reference"
    / ("chengde-hitech-publicity-2024.txt")
)
HEADING = re.compile(r"^(?:\[bookmark: [^\]]+\])?(\d+)\.(.+)绩效目标表\s*$")


def squash(text: str) -> str:
    """Word wraps cells with spaces; compare without them."""
    return re.sub(r"\s+", "", text.replace("[bookmark: _GoBack]", ""))


@dataclass
class ReferenceProject:
    table_number: int
    table_name: str
    rows: list[list[str]] = field(default_factory=list)

    def _row_after(self, first_cell: str, offset: int = 0) -> list[str]:
        for i, row in enumerate(self.rows):
            if row and squash(row[0]) == first_cell:
                return self.rows[i + offset]
        raise KeyError(first_cell)

    @property
    def code(self) -> str:
        return squash(self._row_after("项目编码")[1])

    @property
    def name(self) -> str:
        return squash(self._row_after("项目编码")[3])

    @property
    def amounts(self) -> tuple[str, str, str]:
        row = self._row_after("预算规模及资金用途")
        return squash(row[2]), squash(row[4]), squash(row[6])

    @property
    def fund_use(self) -> str:
        return squash(self._row_after("预算规模及资金用途", 1)[1])

    @property
    def schedule(self) -> dict[str, str]:
        labels = [squash(c) for c in self._row_after("资金支出计划（%）")[1:]]
        values = [squash(c) for c in self._row_after("资金支出计划（%）", 1)[1:]]
        return dict(zip(labels, values, strict=True))

    @property
    def target(self) -> str:
        return squash(self._row_after("绩效目标")[1])

    @property
    def indicator_rows(self) -> list[tuple[str, ...]]:
        """(一级, 二级, 三级, 描述, 指标值, 依据), merged cells filled from above."""
        start = next(i for i, r in enumerate(self.rows) if r and squash(r[0]) == "一级指标")
        out, primary = [], ""
        for row in self.rows[start + 1 :]:
            cells = [squash(c) for c in row]
            if len(cells) != 6:
                continue
            primary = cells[0] or primary
            out.append((primary, *cells[1:]))
        return out


@dataclass
class ReferenceSection:
    name: str
    indicators: list[tuple[str, str, str, str, str]] = field(default_factory=list)


def _rows(lines: list[str]) -> list[list[str]]:
    rows, current = [], []
    for line in lines:
        if line.startswith("\t"):
            current.append(line[1:])
        elif current:
            rows.append(current)
            current = []
    if current:
        rows.append(current)
    return rows


def read_projects() -> list[ReferenceProject]:
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    projects: list[ReferenceProject] = []
    chunk: list[str] = []
    for line in lines:
        match = HEADING.match(line.strip())
        if match:
            if projects:
                projects[-1].rows = _rows(chunk)
            projects.append(ReferenceProject(int(match[1]), match[2]))
            chunk = []
        else:
            chunk.append(line)
    projects[-1].rows = _rows(chunk)
    return projects


def read_sections() -> list[ReferenceSection]:
    """第一部分: each section heading （一）综合科 and the rating table that follows it."""
    text = REFERENCE.read_text(encoding="utf-8").split("第二部分")[0]
    lines = text.splitlines()
    sections: list[ReferenceSection] = []
    chunk: list[str] = []
    heading = re.compile(r"（[一二三四五六七八九十]+）(.+?)：?$")
    for line in lines:
        match = heading.search(line.strip())
        if match and "]" not in match[1]:
            if sections:
                sections[-1].indicators = _rating_rows(chunk)
            sections.append(ReferenceSection(match[1]))
            chunk = []
        else:
            chunk.append(line)
    sections[-1].indicators = _rating_rows(chunk)
    return sections


def _rating_rows(lines: list[str]) -> list[tuple[str, ...]]:
    """Cells of a rating table may wrap over several lines, even blank ones; read the tokens
    after the 优 良 中 差 header five at a time while they look like a scale row."""
    tokens = [squash(line) for line in lines if squash(line)]
    start = tokens.index("评价标准")
    body = tokens[tokens.index("差", start) + 1 :]
    rows = []
    for i in range(0, len(body) - 4, 5):
        row = tuple(body[i : i + 5])
        if not all(cell.endswith(("%", "%以下")) for cell in row[1:]):
            break
        rows.append(row)
    return rows
