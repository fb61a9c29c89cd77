"""Reading PDFs back for tests: text in drawing order, outlines, page count."""

import shutil
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader

from tests.reference_doc import squash


def reader(data: bytes) -> PdfReader:
    return PdfReader(BytesIO(data))


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in reader(data).pages]


def assert_in_order(text: str, expected: list[str]) -> None:
    """Every expected piece occurs in the text, each after the one before it."""
    haystack = squash(text)
    position = 0
    for piece in expected:
        needle = squash(piece)
        if not needle:
            continue
        found = haystack.find(needle, position)
        assert found >= 0, f"{piece!r} missing after position {position}"
        position = found + len(needle)


def outline_titles(data: bytes) -> list[tuple[int, str]]:
    """(level, title) of every bookmark, depth first."""
    out: list[tuple[int, str]] = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                out.append((level, item.title))

    walk(reader(data).outline, 1)
    return out


def page_pixels(data: bytes, dpi: int = 40) -> list[bytes]:
    """Every page rendered in grey by poppler's pdftoppm, as bytes to compare."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "in.pdf").write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", f"{folder}/in.pdf", f"{folder}/p"], check=True
        )
        return [page.read_bytes() for page in sorted(Path(folder).glob("p-*.pgm"))]


def libreoffice_pdf(data: bytes, folder: Path, name: str) -> bytes:
    """A Word or Excel file (`name` with its suffix) printed to PDF by LibreOffice, headless,
    with a profile of its own in `folder`."""
    source = folder / name
    source.write_bytes(data)
    subprocess.run(
        [
            shutil.which("soffice") or "soffice",
            f"-env:UserInstallation=file://{folder}/profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return (folder / f"{source.stem}.pdf").read_bytes()
