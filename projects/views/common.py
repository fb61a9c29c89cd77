"""What the project and unit-year pages share: the review transitions, copying into another
year and the audit trail."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from perfbudget.lib.downloads import XLSX
from projects import history, workflow
from projects.services import CopyRefused

TRANSITION_DONE = {
    "submit": "已提交，等待审核。",
    "review": "审核结果已保存。",
    "reopen": "已重新打开为草稿。",
}


# A review's result, as the reviewer's grade decided it.
REVIEW_DONE = {
    "优": "已审核通过（优）。",
    "良": "已审核通过（良）。",
    "中": "已退回修改（中），提交人可按审核意见修改后重新提交。",
    "差": "不予通过（差），已退回提交人。",
}
# What each transition reads from the posted form besides who asks.
TRANSITION_FIELDS = {"submit": (), "review": ("grade", "comment"), "reopen": ("reason",)}


def run_transition(request, action: str, service, **target) -> bool:
    """Run one review transition (a `projects.workflow` service) with the posted fields it
    takes, and say what happened; True when it happened."""
    fields = {name: request.POST.get(name, "") for name in TRANSITION_FIELDS[action]}
    try:
        service(user=request.user, **target, **fields)
    except workflow.WorkflowRefused as refused:
        messages.error(request, f"操作未完成：{refused}")
        if action == "review":
            # The page the reviewer returns to shows the grade and comment they sent.
            (obj,) = [v for k, v in target.items() if k != "access"]
            request.session[REVIEW_DRAFT] = {"key": _key(obj), **fields}
        return False
    done = TRANSITION_DONE[action]
    if action == "review":
        done = REVIEW_DONE.get(fields["grade"], done)
    messages.success(request, done)
    return True


REVIEW_DRAFT = "review_draft"


def _key(obj) -> str:
    return f"{obj._meta.label}:{obj.pk}"


def review_form(request, obj, aid=None) -> dict:
    """The review form's grade and comment: what the reviewer sent when it was refused,
    otherwise the suggested grade and the drafted opinion (if any)."""
    sent = request.session.get(REVIEW_DRAFT)
    if sent and sent.get("key") == _key(obj):
        del request.session[REVIEW_DRAFT]
        return {"review_grade": sent.get("grade", ""), "review_text": sent.get("comment", "")}
    return {
        "review_grade": aid.grade if aid else "",
        "review_text": aid.opinion if aid else "",
    }


def trail_response(request, title: str, entries, back_url: str) -> HttpResponse:
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(history.trail_workbook(title, entries), content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, f"{title}-修改记录.xlsx")
        return response
    return render(
        request, "projects/history.html", {"title": title, "entries": entries, "back_url": back_url}
    )


COPIED = "已结转到 {year} 年（草稿）：{what}"


def run_copy(request, copy, name):
    """Carry a project or a unit-year into the posted year (`copy(year)` does it) and say so;
    the copy, or None when it was refused."""
    try:
        target = int(request.POST.get("year", ""))
        made = copy(target)
    except ValueError:
        messages.error(request, "请填写要结转到的年度")
    except CopyRefused as refused:
        messages.error(request, f"未结转：{refused}")
    else:
        messages.success(request, COPIED.format(year=target, what=name(made)))
        return made
    return None
