"""One embedded font per face in a PDF joined from several WeasyPrint documents.

Each WeasyPrint document embeds its own subset of every font it uses, so a PDF joined from
separately rendered parts carries the same CJK face several times (a few hundred kB each). The
subsets keep the font's own glyph ids (WeasyPrint subsets with RETAIN_GIDS) and the text is
written in glyph ids, so the parts' subsets of one face can be replaced by a single subset of the
union of their glyphs, cut from the installed font the same way WeasyPrint cuts it, with the
union of their widths and Unicode maps: every page then points to the one font.
"""

import re
import subprocess
from functools import lru_cache
from io import BytesIO

import pikepdf
from cffi import FFI
from fontTools.ttLib import TTFont

_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")


@lru_cache(maxsize=1)
def _installed_faces() -> dict[str, tuple[str, int]]:
    """PostScript name → (font file, index in the collection), as fontconfig lists them."""
    listing = subprocess.run(
        ["fc-list", "-f", "%{postscriptname}|%{file}|%{index}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    faces = {}
    for line in listing.splitlines():
        name, path, index = line.rsplit("|", 2)
        faces.setdefault(name, (path, int(index)))
    return faces


_ffi = FFI()
_ffi.cdef(
    """
    typedef struct hb_blob_t hb_blob_t;
    typedef struct hb_face_t hb_face_t;
    typedef struct hb_set_t hb_set_t;
    typedef struct hb_subset_input_t hb_subset_input_t;
    hb_blob_t * hb_blob_create_from_file (const char *file_name);
    void hb_blob_destroy (hb_blob_t *blob);
    const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
    hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
    hb_blob_t * hb_face_reference_blob (hb_face_t *face);
    void hb_face_destroy (hb_face_t *face);
    void hb_set_add (hb_set_t *set, uint32_t codepoint);
    uint32_t hb_tag_from_string (const char *str, int len);
    hb_subset_input_t * hb_subset_input_create_or_fail (void);
    void hb_subset_input_destroy (hb_subset_input_t *input);
    hb_set_t * hb_subset_input_glyph_set (hb_subset_input_t *input);
    hb_set_t * hb_subset_input_set (hb_subset_input_t *input, int set_type);
    void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned int value);
    hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
    """
)
_hb = _ffi.dlopen("libharfbuzz.so.0")
_hb_subset = _ffi.dlopen("libharfbuzz-subset.so.0")
# hb-subset.h
_NO_HINTING, _RETAIN_GIDS, _DESUBROUTINIZE, _PASSTHROUGH = 0x1, 0x2, 0x4, 0x20
_DROP_TABLE_TAG = 3
# The tables WeasyPrint drops from its subsets.
_DROPPED = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH")
_DROPPED += (b"PCLT", b"SVG ")


@lru_cache(maxsize=8)
def _face(path: str, index: int):
    blob = _hb.hb_blob_create_from_file(path.encode())
    return _ffi.gc(_hb.hb_face_create(blob, index), _hb.hb_face_destroy)


def _cut(face, glyphs, flags: int, drop: bool = False):
    subset = _ffi.gc(
        _hb_subset.hb_subset_input_create_or_fail(), _hb_subset.hb_subset_input_destroy
    )
    kept = _hb_subset.hb_subset_input_glyph_set(subset)
    for glyph in glyphs:
        _hb.hb_set_add(kept, glyph)
    _hb_subset.hb_subset_input_set_flags(subset, flags)
    if drop:
        dropped = _hb_subset.hb_subset_input_set(subset, _DROP_TABLE_TAG)
        for tag in _DROPPED:
            _hb.hb_set_add(dropped, _hb.hb_tag_from_string(tag, -1))
    result = _hb_subset.hb_subset_or_fail(face, subset)
    return _ffi.gc(result, _hb.hb_face_destroy) if result != _ffi.NULL else None


def _subset(path: str, index: int, glyphs: set[int]) -> bytes | None:
    """The font cut to these glyphs, keeping their ids: WeasyPrint's own two cuts (the glyphs
    with their ids, then everything up to the last one, without hinting)."""
    first = _cut(
        _face(path, index), sorted(glyphs), _RETAIN_GIDS | _PASSTHROUGH | _DESUBROUTINIZE, drop=True
    )
    if first is None:
        return None
    second = _cut(first, range(max(glyphs) + 1), _PASSTHROUGH | _DESUBROUTINIZE | _NO_HINTING)
    if second is None:
        return None
    blob = _hb.hb_face_reference_blob(second)
    length = _ffi.new("unsigned int *")
    data = _hb.hb_blob_get_data(blob, length)
    content = bytes(_ffi.buffer(data, length[0])) if length[0] else None
    _hb.hb_blob_destroy(blob)
    return content


def _widths(array) -> dict[int, float]:
    widths, items, i = {}, list(array), 0
    while i < len(items):
        first, second = int(items[i]), items[i + 1]
        if isinstance(second, pikepdf.Array):
            for offset, width in enumerate(second):
                widths[first + offset] = float(width)
            i += 2
        else:
            for glyph in range(first, int(second) + 1):
                widths[glyph] = float(items[i + 2])
            i += 3
    return widths


def _width_array(widths: dict[int, float]) -> pikepdf.Array:
    items, run = [], None
    for glyph in sorted(widths):
        if run is None or glyph - 1 not in widths:
            run = []
            items += [glyph, run]
        run.append(widths[glyph])
    return pikepdf.Array([pikepdf.Array(i) if isinstance(i, list) else i for i in items])


def _unicode_map(stream) -> dict[int, str]:
    return {int(g, 16): u.decode() for g, u in _BFCHAR.findall(stream.read_bytes())}


def _cmap(mapping: dict[int, str]) -> bytes:
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <ffff>",
        b"endcodespacerange",
    ]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines.extend(f"<{glyph:04x}> <{text}>".encode() for glyph, text in batch)
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _postscript_name(font_file) -> str | None:
    try:
        return TTFont(BytesIO(font_file.read_bytes()))["name"].getDebugName(6)
    except Exception:  # noqa: BLE001 (a font we cannot read is left as it is)
        return None


def consolidate_fonts(document: pikepdf.Pdf) -> None:
    """Give every page of the document one embedded subset per font face. The fonts merged
    away are no longer referenced; the file's write (qpdf writes only what the pages reach)
    leaves them out."""
    groups: dict[str, dict] = {}
    for fonts in _font_dictionaries(document):
        for name in list(fonts.keys()):
            font = fonts[name]
            if font.get("/Subtype") != "/Type0" or "/ToUnicode" not in font:
                continue
            if font.DescendantFonts[0].FontDescriptor.get("/FontFile3") is None:
                continue
            key = str(font.BaseFont).split("+", 1)[-1]
            groups.setdefault(key, {}).setdefault(font.objgen, font)
    for fonts in groups.values():
        if len(fonts) > 1:
            _merge(document, list(fonts.values()))


def _merge(document: pikepdf.Pdf, fonts: list) -> None:
    first = fonts[0]
    descendant = first.DescendantFonts[0]
    descriptor = descendant.FontDescriptor
    face = _installed_faces().get(_postscript_name(descriptor.FontFile3) or "")
    if face is None:
        return
    widths, mapping = {}, {}
    for font in fonts:
        widths.update(_widths(font.DescendantFonts[0].W))
        mapping.update(_unicode_map(font.ToUnicode))
    data = _subset(*face, set(widths))
    if data is None:
        return
    font_file = document.make_stream(data)
    font_file.Subtype = pikepdf.Name.OpenType
    descriptor.FontFile3 = font_file
    descendant.W = _width_array(widths)
    if "/CIDSet" in descriptor:
        del descriptor["/CIDSet"]
    first.ToUnicode = document.make_stream(_cmap(mapping))
    others = {font.objgen for font in fonts[1:]}
    for page_fonts in _font_dictionaries(document):
        for name in list(page_fonts.keys()):
            if page_fonts[name].objgen in others:
                page_fonts[name] = first


def _font_dictionaries(document: pikepdf.Pdf):
    """The /Font resources of every page and of the forms the pages draw (the page numbers)."""
    for page in document.pages:
        resources = page.obj.get("/Resources")
        if resources is None:
            continue
        if "/Font" in resources:
            yield resources.Font
        for form in (resources.get("/XObject") or {}).values():
            if form.get("/Subtype") == "/Form" and "/Font" in form.get("/Resources", {}):
                yield form.Resources.Font
