"""Request and response guards: the Content-Security-Policy header (Django 5.2 has none of
its own), the size limit of a request body, and the refusal of control characters."""

import re

from django.conf import settings
from django.utils.cache import patch_cache_control

from perfbudget.views import error_page

# C0 control characters and DEL, except tab, line feed and carriage return: no text a person
# types holds one; NUL cannot be stored by PostgreSQL, and the others cannot be written to an
# Excel cell, so one stored would break every workbook that shows it.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

CONTROL_MESSAGE = (
    "提交的内容含有空字符（\\x00）或其他控制字符（如 \\x01、\\x1b），无法保存；"
    "本次提交没有保存任何内容。请删除这些字符后重试。"
)


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


class ContentSecurityPolicyMiddleware:
    """Every response says which sources the browser may load from: the app's own server only.
    Not with DEBUG on: Django's own debug pages are styled inline."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and not settings.DEBUG:
            response.headers.setdefault("Content-Security-Policy", policy)
        return response


class RequestSizeMiddleware:
    """A request whose body is larger than MAX_REQUEST_BYTES is refused by its declared length,
    before any byte of it is read. Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves files out, so
    without this an upload of any size would be spooled to disk first. (A body sent without a
    length is read by Django as empty.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            megabytes = settings.MAX_REQUEST_BYTES / (1024 * 1024)
            return error_page(
                413,
                "提交的内容过大",
                f"这次提交（含上传的文件）超过 {megabytes:g} MB，本次提交没有保存任何内容。"
                "请缩小或拆分文件后重新提交。",
            )
        return self.get_response(request)


class RefuseControlCharactersMiddleware:
    """A request that carries a control character (NUL, \\x01, ESC …; tab and line breaks are
    text) in a parameter or form field is refused whole, with a message, before the view reads
    or writes anything.

    It looks at the body only in process_view, placed after CsrfViewMiddleware and
    LoginRequiredMiddleware: by then a logged-out visitor has been sent to the login page and a
    forged form refused, so no stranger's body is parsed here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        fields = [request.GET]
        if request.method == "POST":
            fields.append(request.POST)
        for data in fields:
            for key, values in data.lists():
                if has_control_characters(key) or any(map(has_control_characters, values)):
                    return error_page(400, "请求无效", CONTROL_MESSAGE)
        return None


class PrivateCacheMiddleware:
    """A page or file answered to a logged-in user holds a unit's data: no shared cache may keep
    it, and the browser keeps none either (`private, no-store`). A response that says its own
    caching is left as it is: downloads are `private, no-cache` so that their ETag still spares
    a second download. Static files (whitenoise answers before this) and the health endpoint
    (no login) are not touched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
