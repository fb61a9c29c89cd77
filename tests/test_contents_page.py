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
    no_dots = CSS(string=".toc .dots { display: none; }")
    without, _ = _rightmost_ink_of_contents(_booklet(reference, (no_dots,)), dpi)
    assert without > width // 2  # the page numbers, at the right
    assert with_dots == without


def test_the_dots_are_one_picture_drawn_once_per_entry(reference):
    """Not a tiling pattern per entry (poppler took 1 s to show a 目录 page of 35 of them, and
    17–30 s when a tile held one dot): one image in the file, drawn once for each entry."""
    with pikepdf.open(BytesIO(_booklet(reference))) as booklet:
        page = booklet.pages[1]
        assert len(page.Resources.get("/Pattern", {})) == 0
        images = [
            name for name, xobject in page.Resources.XObject.items() if xobject.Subtype == "/Image"
        ]
        assert len(images) == 1
        drawn = [
            operands[0]
            for operands, operator in pikepdf.parse_content_stream(page)
            if operator == pikepdf.Operator("Do")
        ]
    assert len(drawn) >= 10 and set(map(str, drawn)) == set(images)  # one per entry


def test_each_entry_links_its_own_line_only(reference):
    """The dots lie beside the link: no link area reaches past the page's left margin (the
    picture of dots under the entry made its link start off the page)."""
    with pikepdf.open(BytesIO(_booklet(reference))) as booklet:
        lefts = [float(link.Rect[0]) for link in booklet.pages[1].Annots]
    assert len(lefts) >= 10 and min(lefts) > 35  # points: the margin is 14 mm (39.7 pt)
