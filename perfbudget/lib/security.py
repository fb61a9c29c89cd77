"""Request and response guards: the Content-Security-Policy header (Django 5.2 has none of
its own) and the refusal of NUL characters."""

from django.conf import settings

from perfbudget.views import error_page


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


class RefuseNulMiddleware:
    """No text a person types holds a NUL character, and PostgreSQL cannot store or compare
    one: a request that carries one in a parameter or form field is refused whole, with a
    message, before anything reads or writes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = [request.GET]
        if request.method == "POST":
            fields.append(request.POST)
        for data in fields:
            for key, values in data.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return error_page(400, "请求无效", NUL_MESSAGE)
        return self.get_response(request)


NUL_MESSAGE = (
    "提交的内容含有空字符（\\x00），无法保存；本次提交没有保存任何内容。请删除这些字符后重试。"
)
