"""perfbudget/lib/downloads.py: the code version every cached file is keyed by."""

from pathlib import Path

from django.conf import settings

from perfbudget.lib import downloads


def test_every_drawing_source_exists():
    # A moved or renamed drawer would drop out of the version silently, and files drawn by
    # the old code would be served after a change to the new one.
    missing = [
        name for name in downloads._DRAWING_SOURCES if not (Path(settings.BASE_DIR) / name).exists()
    ]
    assert missing == []
