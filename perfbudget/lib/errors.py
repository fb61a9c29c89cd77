"""A request made with the wrong method (opening a form's address in the browser, 提交审核 by
GET) gets a page in Chinese that says so, not Django's empty 405 response."""

from django.http import HttpResponseNotAllowed

from perfbudget.views import error_page

NOT_ALLOWED = (
    "无法直接打开这个地址",
    "这个地址只接受页面上的按钮或表单提交，不能直接打开或刷新。请返回上一页，用页面上的按钮操作。",
)


class MethodNotAllowedPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and not response.content:
            page = error_page(405, *NOT_ALLOWED)
            page["Allow"] = response["Allow"]
            return page
        return response
