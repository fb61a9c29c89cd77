"""Downloads that are expensive to render (PDF, Excel) are rendered once per content version.

The caller names the content by a fingerprint of everything the file shows; the file is kept in
the cache under that fingerprint and the code version that draws it, served with an ETag and
Last-Modified, and answered with 304 when the browser already has it. Any change to the content
changes the fingerprint, so the next download is fresh.
"""

import hashlib
import logging
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.http import content_disposition_header, http_date, quote_etag

log = logging.getLogger("perfbudget.downloads")

# A unit's file: kept by the browser alone, and checked with the server (ETag) before reuse.
CACHE_CONTROL = "private, no-cache"
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ZIP = "application/zip"
CONTENT_TYPES = {"pdf": PDF, "xlsx": XLSX, "docx": DOCX, "zip": ZIP}

# The code and styles that draw the files: a change to any of them makes every file fresh.
_DRAWING_SOURCES = [
    "projects/documents",
    "projects/importer/contract.py",
    "static/css/form-table.css",
    "static/css/pdf.css",
    "templates/pdf",
    "templates/departments/_rating_table.html",
    "templates/departments/_part_one_body.html",
]


class RenderTimeout(Exception):
    """A file took longer to render than its time limit allows; the renderer was stopped."""


@lru_cache(maxsize=1)
def drawing_version() -> str:
    digest = hashlib.sha256()
    for name in _DRAWING_SOURCES:
        path = Path(settings.BASE_DIR) / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                digest.update(file.name.encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def fingerprint(*parts: str) -> str:
    digest = hashlib.sha256(drawing_version().encode())
    for part in parts:
        digest.update(b"\x1f")
        digest.update(part.encode())
    return digest.hexdigest()


def cache_keep(key: str, value) -> None:
    """Keep a rendered file or layout in the cache. A full disk keeps it out of the cache and
    is logged; the user still gets what was rendered."""
    try:
        cache.set(key, value, timeout=settings.DOWNLOAD_CACHE_SECONDS)
    except OSError:
        log.warning("download cache not written: %s", key, exc_info=True)


def browser_has(request: HttpRequest, key: str) -> bool:
    """The browser asks with the ETag of this content: it holds the file already."""
    tags = request.headers.get("If-None-Match", "").split(",")
    return quote_etag(key) in [tag.strip() for tag in tags]


def not_modified(key: str) -> HttpResponse:
    response = HttpResponseNotModified()
    response["ETag"] = quote_etag(key)
    response["Cache-Control"] = CACHE_CONTROL
    return response


def kept(key: str, compute: Callable):
    """The value kept in the cache under this key, or computed now and kept."""
    value = cache.get(key)
    if value is None:
        value = compute()
        cache_keep(key, value)
    return value


def cached_file(key: str, render: Callable[[], bytes]) -> tuple[bytes, float]:
    """The file named by this key (a `fingerprint`) from the download cache, or rendered and
    kept there; with the time it was rendered."""
    return kept(f"download:{key}", lambda: (render(), timezone.now().timestamp()))


def cached_download(
    request: HttpRequest,
    *,
    key: str,
    render: Callable[[], bytes],
    filename: str,
    content_type: str,
) -> HttpResponse:
    """The file named by `key` (a `fingerprint` of what it shows): a 304 when the browser has
    it, from the download cache, or rendered now and kept."""
    etag = quote_etag(key)
    if browser_has(request, key):
        return not_modified(key)
    data, rendered_at = cached_file(key, render)
    response = HttpResponse(data, content_type=content_type)
    # ?inline=1 opens the file in the browser (打印 prints the PDF, the form as it is filed).
    inline = request.GET.get("inline") == "1"
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(rendered_at)
    response["Cache-Control"] = CACHE_CONTROL
    return response
