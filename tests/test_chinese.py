"""Chinese everywhere: no English word on any page a user of a unit sees, for every role, over
every page of the permission matrix (系统管理 is crawled in tests/test_admin.py)."""

import re
from html import unescape

import pytest
from django.urls import reverse

from tests.test_permissions import EXPECTED, ROLES

pytestmark = pytest.mark.django_db

# Names of file formats and programs a Chinese user reads as such.
ALLOWED = {"PDF", "Excel", "Word", "WPS"}
SHOWN_ATTRIBUTES = re.compile(r'\b(?:title|placeholder|aria-label|alt)="([^"]*)"')
WORD = re.compile(r"(?<![A-Za-z0-9_.\-/])[A-Za-z]{2,}(?![A-Za-z0-9_\-/])")


def shown_words(html: str) -> set[str]:
    """Latin words a reader sees: the text and the attributes shown on screen (tooltips,
    placeholders, labels read aloud), not markup, scripts, styles or addresses."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    shown = " ".join(SHOWN_ATTRIBUTES.findall(html))
    text = unescape(re.sub(r"<[^>]+>", " ", html) + " " + shown)
    return set(WORD.findall(text)) - ALLOWED


@pytest.mark.parametrize("role", ROLES)
def test_no_english_word_on_any_page(client, request, reference, other_unit, role):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    found = {}
    for name, (method, args, data, _) in sorted(EXPECTED.items()):
        if method != "get":
            continue
        url = reverse(name, args=args(request) if callable(args) else args)
        response = client.get(url, data, follow=True)
        if not response["Content-Type"].startswith("text/html"):
            continue
        words = shown_words(response.content.decode())
        if words:
            found[name] = sorted(words)
    assert found == {}


def test_the_check_finds_an_english_word():
    assert shown_words('<p title="Save">保存 <b>Draft</b> 下载 PDF</p>') == {"Save", "Draft"}
    assert shown_words('<a href="/static/app.css">13081123P000182100018</a>') == set()
