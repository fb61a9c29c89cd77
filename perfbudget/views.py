"""Views of the server itself: the health endpoint and the error pages."""

import errno
import logging
import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError, DataError, IntegrityError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache

from perfbudget.lib.downloads import RenderTimeout

log = logging.getLogger("perfbudget.errors")


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        log.warning("health check: database unavailable", exc_info=True)
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


# What went wrong, said to the user. None of these pages touches the database.
_FAULTS = {
    "database": (
        503,
        "数据库暂时无法连接",
        "服务器与数据库的连接中断，本次操作没有保存，已有数据不受影响。请稍后重试；"
        "如果问题持续，请联系系统管理员。",
    ),
    "disk": (
        507,
        "服务器磁盘空间不足",
        "服务器没有空间接收或保存这次提交的内容，本次操作没有保存，已有数据不受影响。"
        "请联系系统管理员清理磁盘后重试。",
    ),
    "timeout": (
        503,
        "生成文件用时过长",
        "这份文件内容太多，未能在限定时间内生成，已停止生成；数据不受影响。"
        "请改为逐个下载各项目的绩效目标表，或联系系统管理员。",
    ),
    "other": (
        500,
        "服务器内部错误",
        "处理这次请求时出错，本次操作没有保存，已有数据不受影响。错误已记录，请稍后重试；"
        "如果问题持续，请联系系统管理员。",
    ),
}


def fault_of(error: BaseException | None) -> str:
    """The kind of fault behind an error, following its causes: a lost or refused database
    connection, a full disk, or anything else. Integrity and data errors are the app's own
    mistakes, not a fault of the database."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DatabaseError) and not isinstance(error, DataError | IntegrityError):
            return "database"
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return "disk"
        if isinstance(error, RenderTimeout):
            return "timeout"
        error = error.__cause__ or error.__context__
    return "other"


def error_page(status: int, title: str, message: str) -> HttpResponse:
    """A page in Chinese that says what went wrong; it touches no database."""
    html = render_to_string("error.html", {"title": title, "message": message})
    return HttpResponse(html, status=status)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: what happened, with the fitting status."""
    return error_page(*_FAULTS[fault_of(sys.exc_info()[1])])


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: a submission over the size limits is named as such; anything else is a
    request the server cannot use."""
    if isinstance(exception, RequestDataTooBig):
        megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        return error_page(
            413,
            "提交的内容过大",
            f"这次提交的文字超过 {megabytes:g} MB，本次提交没有保存任何内容。"
            "请用浏览器的“后退”回到表单，缩短过长的内容后重新提交。",
        )
    if isinstance(exception, TooManyFieldsSent):
        return error_page(
            413,
            "提交的栏目过多",
            f"这次提交超过 {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} 个栏目，"
            "本次提交没有保存任何内容。请分几次填写提交。",
        )
    return error_page(
        400,
        "请求无效",
        "服务器无法处理这个请求，本次提交没有保存任何内容。请从首页重新进入；"
        "如果问题持续，请联系系统管理员。",
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the form was stale or did not come from this site."""
    return error_page(
        403,
        "表单已失效",
        "这个表单已过期，或者无法确认它来自本系统（来源校验未通过），"
        "本次提交没有保存。请返回上一页，刷新后重新填写提交。",
    )


LOGGED_OUT = "您已安全退出。"


class LogoutView(auth_views.LogoutView):
    """Log out and say so on the login page it leads to."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, LOGGED_OUT)
        return response
