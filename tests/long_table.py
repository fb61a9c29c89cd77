"""The long tables the print tests share: 40 more 三级 under one project's 产出指标/数量指标,
with descriptions that take two lines, so that its forms run over several pages; and a table
whose label is taller than its rows on a page."""

from dataclasses import replace

from indicators.models import Indicator, SecondaryCategory
from projects.documents import pdf
from projects.documents.target_table import GridRow, TargetTable
from projects.models import Project

ROWS = 40


def add_long_group(code: str = "13081123P000182100018") -> Project:
    return add_rows(Project.objects.get(code=code), ROWS)


def add_rows(project: Project, count: int, order: int = 10, name: str = "长表指标") -> Project:
    """`count` more 三级 under the project's 产出指标/数量指标, from `order` on."""
    quantity = SecondaryCategory.objects.get(primary__framework=project.framework, name="数量指标")
    Indicator.objects.bulk_create(
        Indicator(
            project=project,
            category=quantity,
            order=order + i,
            name=f"{name}{i:02d}",
            description=f"第{i:02d}项工作的说明，写得比较长，占两行以上的宽度",
            value_text=f"≥{i}次",
            basis="年度工作计划",
        )
        for i in range(count)
    )
    return project


def rows_by_page(document) -> list[list[int]]:
    """The grid rows each page of a laid-out document shows, in order."""
    pages = []
    for page in document.pages:
        rows, stack = [], [page._page_box]
        while stack:
            box = stack.pop()
            element = getattr(box, "element", None)
            if type(box).__name__ == "TableRowBox" and element is not None:
                if element.get("data-row") is not None:
                    rows.append(int(element.get("data-row")))
            stack.extend(reversed(getattr(box, "children", None) or []))
        pages.append(rows)
    return pages


def tall_label_table(table: TargetTable) -> tuple[TargetTable, int, str]:
    """`table` with one group whose 二级 label takes several lines and whose last row, one line
    high, opens the second page alone: the label is taller than its rows there. Also the rows
    the first page holds, and the label."""
    label = "数量指标（分解到各季度、各街道和各社区的服务次数与覆盖人数）"

    def rows(count: int) -> list[GridRow]:
        return [
            GridRow("产出指标", label, f"指标{i:02d}", "说明", "≥1次", "计划", indicator_id=i)
            for i in range(count)
        ]

    probe = replace(table, rows=rows(80))
    on_first = len(rows_by_page(pdf._lay_out(pdf._table_html(probe, {})))[0])
    return replace(probe, rows=rows(on_first + 1)), on_first, label
