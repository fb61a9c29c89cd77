"""Every write is logged with its user: method, path, status, user name, duration."""

import logging
import time

writes = logging.getLogger("perfbudget.writes")

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


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
            request.method,
            request.path,
            response.status_code,
            name,
            (time.monotonic() - started) * 1000,
        )
        return response
