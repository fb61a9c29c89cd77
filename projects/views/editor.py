"""The project editor: header, funds, schedule, target and the indicator tree on one page,
with live quality checks and library suggestions. It works as a plain form too."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from departments.access import (
    NOT_WRITABLE,
    get_department_for_user,
    get_rw_department,
    writable_departments,
)
from departments.models import Department
from indicators.checks import STANDARD_GRADES, check_target_data
from indicators.models import BASIS_SUGGESTIONS, Indicator, SecondaryCategory
from indicators.values import format_number, parse_value
from perfbudget.lib.grades import Status
from perfbudget.lib.numbers import number_or_none
from projects.access import get_rw_project
from projects.draft import draft_target_data
from projects.forms import IndicatorFormSet, ProjectForm
from projects.models import BudgetYear, Project
from projects.services import (
    EVALUATION_CONFIRMED,
    STALE_EDIT,
    EvaluationFrozen,
    StaleEdit,
    project_save,
)
from projects.workflow import NO_SECTION

READ_ONLY = "项目{status}，处于只读状态，不能修改。"
SAVED = "已保存：{heading}"


def _categories(framework):
    return (
        SecondaryCategory.objects.filter(primary__framework=framework)
        .select_related("primary")
        .order_by("primary__order", "order")
    )


def _initial_rows(project: Project) -> list[dict]:
    rows = []
    tree = project.indicator_tree()
    for indicator in (i for _, secondaries in tree for _, items in secondaries for i in items):
        structured = indicator.operator not in ("", "定性") and indicator.value_number is not None
        rows.append(
            {
                "id": indicator.pk,
                "category": indicator.category_id,
                "name": indicator.name,
                "description": indicator.description,
                "operator": indicator.operator if structured else "定性",
                "number": format_number(indicator.value_number) if structured else None,
                "unit": indicator.value_unit if structured else "",
                "text": "" if structured else indicator.value_text,
                "basis": indicator.basis,
                "ORDER": len(rows) + 1,
            }
        )
    return rows


def _forms(request, project: Project, department: Department, year: int, framework):
    milestones = BudgetYear.milestones_of(year)
    queryset = _categories(framework)
    categories = list(queryset)
    data = request.POST if request.method == "POST" else None
    initial = {"version": project.version} if project.pk else {}
    if project.pk:
        planned = {e.month: e.planned_percent for e in project.schedule.all()}
        initial.update(
            {
                f"schedule_{m}": format_number(planned[m])
                for m in milestones
                if planned.get(m) is not None
            }
        )
    form = ProjectForm(
        data,
        instance=project,
        initial=initial,
        department=department,
        year=year,
        milestones=milestones,
    )
    formset = IndicatorFormSet(
        data,
        prefix="ind",
        categories=queryset,
        initial=None if data is not None or not project.pk else _initial_rows(project),
    )
    return form, formset, categories, milestones


def _groups(formset, categories) -> list[dict]:
    """The formset's rows under their 二级, every 二级 of the framework present."""
    by_category: dict[str, list] = {}
    for form in formset.forms:
        value = form["category"].value()
        by_category.setdefault(str(value), []).append(form)
    return [{"category": c, "forms": by_category.get(str(c.pk), [])} for c in categories]


def _render_editor(
    request, *, project, form, formset, categories, department, year, stale=None, years=()
):
    return render(
        request,
        "projects/project_edit.html",
        {
            "project": project,
            "form": form,
            "formset": formset,
            "groups": _groups(formset, categories),
            "department": department,
            "year": year,
            "basis_suggestions": BASIS_SUGGESTIONS,
            "grade_sets": STANDARD_GRADES,
            "stale": stale,
            "years": years,
        },
        status=409 if stale else 200,
    )


def _save(request, project, form, formset) -> tuple[HttpResponse | None, str | None]:
    """Save the valid page: the redirect to the saved project, or the message of an edit that
    came too late (someone saved the project after this page was opened)."""
    fields = {k: v for k, v in form.cleaned_data.items() if k in ProjectForm.Meta.fields}
    try:
        project = project_save(
            project=project,
            fields=fields,
            planned=form.planned(),
            rows=formset.rows(),
            expected_version=form.cleaned_data.get("version"),
        )
    except StaleEdit as stale:
        return None, STALE_EDIT.format(who=stale.changed_by, when=stale.changed_at)
    except EvaluationFrozen as frozen:
        return None, str(frozen)
    messages.success(request, SAVED.format(heading=project.heading))
    if project.section_id is None:
        messages.warning(request, NO_SECTION)
    return redirect("projects:detail", project.year, project.code), None


def _edit(
    request, project: Project, department: Department, year: int, framework, years=()
) -> HttpResponse:
    """Show the editor, or save it when the posted page is valid."""
    form, formset, categories, _ = _forms(request, project, department, year, framework)
    stale = None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        saved, stale = _save(request, project, form, formset)
        if saved is not None:
            return saved
    return _render_editor(
        request,
        project=project,
        form=form,
        formset=formset,
        categories=categories,
        department=department,
        year=year,
        stale=stale,
        years=years,
    )


@require_http_methods(["GET", "POST"])
def project_edit(request: HttpRequest, year: int, code: str) -> HttpResponse:
    project, _ = get_rw_project(request, year, code)
    if project.status != Status.DRAFT:
        messages.error(request, READ_ONLY.format(status=project.get_status_display()))
        return redirect("projects:detail", year, code)
    if project.evaluation_confirmed():
        messages.error(request, EVALUATION_CONFIRMED)
        return redirect("projects:detail", year, code)
    return _edit(request, project, project.department, year, project.framework)


def unit_years(department: Department) -> list[int]:
    """The years a new project of the unit may go into, newest first: the unit's own years
    that have a budget year; every budget year while the unit has none of its own."""
    budget_years = set(BudgetYear.objects.values_list("year", flat=True))
    own = department.years.order_by("-year").values_list("year", flat=True)
    return [y for y in own if y in budget_years] or sorted(budget_years, reverse=True)


def _new_context(request) -> tuple[Department, int, object, list[int]]:
    departments = writable_departments(request.user)
    if not departments.exists():
        raise PermissionDenied(NOT_WRITABLE)
    code = request.GET.get("department") or request.POST.get("department_code")
    department = (
        get_rw_department(request.user, code)[0] if code else departments.order_by("code").first()
    )
    years = unit_years(department)
    if not years:
        raise Http404("尚未设置预算年度")
    # The year the user came from (or picked); the unit's newest only when none is given.
    asked = request.POST.get("year") if request.method == "POST" else request.GET.get("year")
    year = number_or_none(asked) if asked else years[0]
    if year not in years:
        raise Http404("该单位没有这一年度")
    framework = BudgetYear.objects.select_related("framework").get(year=year).framework
    return department, int(year), framework, years


@require_http_methods(["GET", "POST"])
def project_new(request: HttpRequest) -> HttpResponse:
    department, year, framework, years = _new_context(request)
    project = Project(department=department, year=year, framework=framework)
    last = department.projects.filter(year=year).order_by("-booklet_order").first()
    project.booklet_order = (last.booklet_order + 1) if last else 1
    return _edit(request, project, department, year, framework, years=years)


@require_POST
def project_check(request: HttpRequest) -> JsonResponse:
    """Live checks of the editor's unsaved content (nothing is written)."""
    department, _ = get_rw_department(request.user, request.POST.get("department_code", ""))
    year = int(number_or_none(request.POST.get("year")) or 0)
    budget_year = BudgetYear.objects.filter(year=year).select_related("framework").first()
    framework_id = request.POST.get("framework", "")
    # An id the database can compare (a 64-bit integer), or no such framework.
    if framework_id and not (
        framework_id.isascii() and framework_id.isdigit() and len(framework_id) <= 18
    ):
        raise Http404("没有这个指标体系")
    queryset = _categories(
        int(framework_id) if framework_id else (budget_year.framework if budget_year else None)
    )
    categories = list(queryset)
    milestones = BudgetYear.milestones_of(year)
    data = draft_target_data(request.POST, categories, milestones)
    findings = check_target_data(data)
    return JsonResponse(
        {
            "save_errors": _save_errors(request.POST, department, year, milestones, queryset),
            "findings": [f.as_dict() for f in findings],
        }
    )


def _save_errors(post, department, year: int, milestones, categories) -> list[dict]:
    """What the form refuses on saving (nothing is saved until it is put right), each with the
    field or row it stands at: the live check lists these first, apart from the findings,
    which block submitting only. The project being edited is looked up in the user's own unit
    only, so that its code is no clash with itself."""
    pk = post.get("project_pk", "")
    project = None
    if pk.isascii() and pk.isdigit() and len(pk) <= 18:
        project = Project.objects.filter(pk=int(pk), department=department, year=year).first()
    form = ProjectForm(
        post,
        instance=project or Project(department=department, year=year),
        department=department,
        year=year,
        milestones=milestones,
    )
    formset = IndicatorFormSet(post, prefix="ind", categories=categories)
    errors = [
        {
            "where": form.fields[name].label if name in form.fields else "项目",
            "message": message,
            "anchor": f"field:{name}" if name in form.fields else "project",
        }
        for name, messages in form.errors.items()
        if name != "version"
        for message in messages
    ]
    if not formset.management_form.is_valid():
        return errors
    for i, row in enumerate(formset.forms):
        name = row["name"].value() or "（未命名）"
        errors += [
            {"where": f"第 {i + 1} 行 {name}", "message": message, "anchor": f"row-{i}"}
            for messages in row.errors.values()
            for message in messages
        ]
    errors += [
        {"where": "指标", "message": message, "anchor": "indicators"}
        for message in formset.non_form_errors()
    ]
    return errors


def _library_suggestions(category: SecondaryCategory, query: str) -> list[dict]:
    library = category.library.all()
    if query:
        library = library.filter(name__icontains=query)
    return [
        {
            "name": e.name,
            "description": e.description,
            "operator": e.operator or "定性",
            "unit": e.unit,
            "basis": e.basis,
            "source": "指标库",
        }
        for e in library.order_by("name")[:10]
    ]


def _earlier_suggestions(
    department: Department, year: int, category: SecondaryCategory, query: str, seen: set
):
    """The unit's own 三级 of earlier years under a 二级 of the same name, newest first."""
    earlier = Indicator.objects.filter(
        project__department=department, project__year__lt=year, category__name=category.name
    )
    if query:
        earlier = earlier.filter(name__icontains=query)
    for indicator in earlier.select_related("project").order_by("-project__year", "name")[:30]:
        if indicator.name in seen:
            continue
        seen.add(indicator.name)
        value = parse_value(indicator.value_text)
        yield {
            "name": indicator.name,
            "description": indicator.description,
            "operator": value.operator,
            "unit": value.unit,
            "basis": indicator.basis,
            "source": f"{indicator.project.year}年 {indicator.project.table_name}",
        }


SUGGESTIONS = 15


def indicator_suggestions(request: HttpRequest) -> JsonResponse:
    """三级 names for a 二级: the library's, then the unit's own of earlier years."""
    try:
        category = SecondaryCategory.objects.select_related("primary").get(
            pk=int(request.GET.get("category", ""))
        )
    except (ValueError, SecondaryCategory.DoesNotExist):
        return JsonResponse({"suggestions": []})
    query = request.GET.get("q", "").strip()[:50]
    out = _library_suggestions(category, query)
    code = request.GET.get("department", "")
    if code:
        department = get_department_for_user(request.user, code)
        year = int(number_or_none(request.GET.get("year")) or 9999)
        seen = {s["name"] for s in out}
        for row in _earlier_suggestions(department, year, category, query, seen):
            out.append(row)
            if len(out) >= SUGGESTIONS:
                break
    return JsonResponse({"suggestions": out})
