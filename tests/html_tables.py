"""Read an HTML table as its rows of cells (text, colspan, rowspan), for comparing rendered
forms with the reference cell by cell."""

import re
from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass
class ParsedCell:
    text: str
    colspan: int
    rowspan: int
    tag: str


class _TableParser(HTMLParser):
    def __init__(self, table_class: str):
        super().__init__()
        self.table_class = table_class
        self.depth = 0
        self.tables: list[list[list[ParsedCell]]] = []
        self.cell: ParsedCell | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            if self.depth or self.table_class in (attrs.get("class") or "").split():
                self.depth += 1
                if self.depth == 1:
                    self.tables.append([])
        elif self.depth == 1 and tag == "tr":
            self.tables[-1].append([])
        elif self.depth == 1 and tag in ("td", "th"):
            self.cell = ParsedCell(
                "", int(attrs.get("colspan", 1)), int(attrs.get("rowspan", 1)), tag
            )
        elif self.cell is not None and tag == "br":
            self.cell.text += "\n"

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag in ("td", "th") and self.cell is not None:
            self.cell.text = re.sub(r"[ \t]+", " ", self.cell.text).strip()
            self.tables[-1][-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.text += data


def parse_tables(html: str, table_class: str) -> list[list[list[ParsedCell]]]:
    parser = _TableParser(table_class)
    parser.feed(html)
    return parser.tables


def texts(row: list[ParsedCell]) -> list[str]:
    return [cell.text for cell in row]
