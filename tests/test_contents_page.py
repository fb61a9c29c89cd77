"""The 目录's dots: drawn as a few long tiles, not a tile per dot (a PDF viewer draws tiles one
by one: poppler took 17 s to show a 目录 page of ten entries, 30 s one of thirty); and they end
under their page number: nothing of a dot shows right of the number when the page is printed
or zoomed (a sliver did, at 200 dpi and more)."""

import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from weasyprint import CSS

from projects.documents import pdf
from projects.documents.booklet import department_tables
from projects.documents.part_one import build_part_one

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

INK = bytes.maketrans(bytes(range(256)), b"x" * 250 + b"." * 6)  # any grey darker than 250


def _booklet(reference, extra=()) -> bytes:
    department_year = type(reference).objects.with_part_one(2024).get(pk=reference.pk)
    part_one, tables = build_part_one(department_year), department_tables(department_year)
    sheets = pdf._stylesheets()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf, "_stylesheets", lambda: (*sheets, *extra))
        return pdf.booklet_pdf(part_one, tables)


def _rightmost_ink_of_contents(data: bytes, dpi: int) -> tuple[int, int]:
    """The rightmost column with ink on the 目录 (the second page), and the page's width."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "in.pdf").write_bytes(data)
        command = ["pdftoppm", "-r", str(dpi), "-gray", "-f", "2", "-l", "2", "-singlefile"]
        subprocess.run([*command, f"{folder}/in.pdf", f"{folder}/p"], check=True)
        image = (Path(folder) / "p.pgm").read_bytes()
    magic, size, depth, pixels = image.split(b"\n", 3)
    assert (magic, depth) == (b"P5", b"255")
    width, height = map(int, size.split())
    rows = (pixels[r * width : (r + 1) * width].translate(INK) for r in range(height))
    return max(row.rfind(b"x") for row in rows), width


@pytest.mark.parametrize("dpi", [200, 300])
def test_no_dot_shows_right_of_the_page_numbers(reference, dpi):
    with_dots, width = _rightmost_ink_of_contents(_booklet(reference), dpi)
    no_dots = CSS(string=".toc a { background: none; }")
    without, _ = _rightmost_ink_of_contents(_booklet(reference, (no_dots,)), dpi)
    assert without > width // 2  # the page numbers, at the right
    assert with_dots == without


def test_the_dots_are_drawn_in_long_tiles(reference):
    with pikepdf.open(BytesIO(_booklet(reference))) as booklet:
        patterns = booklet.pages[1].Resources.Pattern
        steps = [float(pattern.XStep) for pattern in patterns.values()]
    assert len(steps) >= 10  # one per entry
    assert min(steps) >= 100  # points: a hundred dots a tile (one dot a tile, 3.6 pt, before)
