"""Every write is logged with its user: method, path, status, user name, duration."""

import logging
import re
import time

writes = logging.getLogger("perfbudget.writes")

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
# Line breaks and other control characters (C0, DEL, C1, the Unicode line separators), and the
# space that separates the fields: a path such as /x%0A… would otherwise write a second, forged
# line into the log, and /x%20user=admin a forged field.
_UNPRINTABLE = re.compile("[\x00-\x20\x7f-\x9f\u2028\u2029]")


def loggable(text: str) -> str:
    """Text for one log line: every control character (and space) written as its escape (\\x0a)."""
    return _UNPRINTABLE.sub(
        lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 256 else f"\\u{ord(m[0]):04x}", text
    )


class WriteLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in SAFE_METHODS:
            return self.get_response(request)
        started = time.monotonic()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        name = user.get_username() if user is not None and user.is_authenticated else "-"
        writes.info(
            "%s %s status=%s user=%s ms=%d",
            loggable(request.method),
            loggable(request.path),
            response.status_code,
            loggable(name),
            (time.monotonic() - started) * 1000,
        )
        return response
