"""What the project and unit-year pages share: the review transitions and the audit trail."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from perfbudget.lib.downloads import XLSX
from projects import history, workflow

TRANSITION_DONE = {
    "submit": "已提交，等待审核。",
    "review": "审核结果已保存。",
    "reopen": "已重新打开为草稿。",
}


def transition_response(request, action: str, run, back) -> HttpResponse:
    try:
        run()
    except workflow.WorkflowRefused as refused:
        messages.error(request, f"操作未完成：{refused}")
    else:
        messages.success(request, TRANSITION_DONE[action])
    return back


def trail_response(request, title: str, entries, back_url: str) -> HttpResponse:
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(history.trail_workbook(title, entries), content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, f"{title}-修改记录.xlsx")
        return response
    return render(
        request, "projects/history.html", {"title": title, "entries": entries, "back_url": back_url}
    )


COPIED = "已结转到 {year} 年（草稿）：{what}"
