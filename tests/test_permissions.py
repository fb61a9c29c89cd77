"""Who may do what: every URL × every role (anonymous, the reference unit's finance clerk, chief,
auditor and administrator, and an outsider of another unit), with the expected status.
A URL added without an entry here fails `test_every_url_has_an_entry`."""

import pytest
from django.urls import get_resolver, reverse

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "finance", "chief", "auditor", "unit_admin", "outsider"]
P = (2024, "13081123P000182100018")
D = ("136001", 2024)


def _all(status, outsider=404):
    return {
        "anonymous": 302,
        "finance": status,
        "chief": status,
        "auditor": status,
        "unit_admin": status,
        "outsider": outsider,
    }


READ = _all(200)
WRITE_PAGE = {
    "anonymous": 302,
    "finance": 200,
    "chief": 403,
    "auditor": 403,
    "unit_admin": 200,
    "outsider": 404,
}
WRITE_POST = {
    "anonymous": 302,
    "finance": 302,
    "chief": 403,
    "auditor": 403,
    "unit_admin": 302,
    "outsider": 404,
}
# Transitions answer every member with a redirect and a message; whether the state changed is
# pinned per role in test_workflow.py.
TRANSITION = _all(302)
OWN_UNIT_PAGE = {
    "anonymous": 302,
    "finance": 200,
    "chief": 403,
    "auditor": 403,
    "unit_admin": 200,
    "outsider": 200,
}

ADMIN_PAGE = {
    "anonymous": 302,
    "finance": 403,
    "chief": 403,
    "auditor": 403,
    "unit_admin": 200,
    "outsider": 404,
}
ADMIN_POST = {**ADMIN_PAGE, "unit_admin": 302}
U = ("136001",)


def _person(request):
    """The unit's chief, as the person a unit administrator manages."""
    return ("136001", request.getfixturevalue("chief").pk)


def _booklet_job(request):
    """A finished booklet job of the reference unit, with its file."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from jobs.models import Job, Kind, State

    name = storages["jobs"].save("jobs/permissions.pdf", ContentFile(b"%PDF-1.7"))
    job = Job.objects.create(
        kind=Kind.BOOKLET_PDF,
        department=request.getfixturevalue("reference").department,
        year=2024,
        requested_by=request.getfixturevalue("finance"),
        stamp="permissions",
        filename="booklet.pdf",
        state=State.DONE,
        file=name,
    )
    return (job.token,)


# name: (method, args, query or form data, expected status per role)
EXPECTED = {
    "home": ("get", (), {}, _all(200, outsider=200)),
    "login": ("get", (), {}, {r: 200 for r in ROLES}),
    "healthz": ("get", (), {}, {r: 200 for r in ROLES}),
    "logout": ("post", (), {}, {r: 302 for r in ROLES}),
    "password_change": ("get", (), {}, _all(200, outsider=200)),
    "password_change_done": ("get", (), {}, _all(200, outsider=200)),
    "projects:list": ("get", (), {}, _all(200, outsider=200)),
    "projects:import": ("get", (), {}, OWN_UNIT_PAGE),
    "projects:new": ("get", (), {}, OWN_UNIT_PAGE),
    "projects:check": (
        "post",
        (),
        {"department_code": "136001", "year": "2024"},
        {
            "anonymous": 302,
            "finance": 200,
            "chief": 403,
            "auditor": 403,
            "unit_admin": 200,
            "outsider": 404,
        },
    ),
    "projects:suggest": ("get", (), {"category": "1", "department": "136001"}, READ),
    "projects:detail": ("get", P, {}, READ),
    "projects:table_pdf": ("get", P, {}, READ),
    "projects:table_xlsx": ("get", P, {}, READ),
    "projects:table_docx": ("get", P, {}, READ),
    "projects:opinion_pdf": ("get", P, {}, READ),
    "projects:history": ("get", P, {}, READ),
    "projects:edit": ("get", P, {}, WRITE_PAGE),
    "projects:monitoring": ("get", P, {}, READ),
    "projects:evaluation": ("get", P, {}, READ),
    "projects:evaluation_pdf": ("get", P, {}, READ),
    "projects:evaluation_xlsx": ("get", P, {}, READ),
    "projects:evaluation_confirm": (
        "post",
        P,
        {},
        {
            "anonymous": 302,
            "finance": 403,
            "chief": 302,
            "auditor": 403,
            "unit_admin": 302,
            "outsider": 404,
        },
    ),
    "unit_year:evaluations": ("get", D, {}, READ),
    "unit_year:monitoring": ("get", D, {}, READ),
    "projects:copy": ("post", P, {"year": "2025"}, WRITE_POST),
    "projects:submit": ("post", P, {}, TRANSITION),
    "projects:review": ("post", P, {"grade": "优"}, TRANSITION),
    "projects:reopen": ("post", P, {"reason": "x"}, TRANSITION),
    "unit_year:detail": ("get", D, {}, READ),
    "unit_year:edit": ("get", D, {}, WRITE_PAGE),
    "unit_year:ratings": ("get", D, {}, READ),
    "unit_year:booklet_pdf": ("get", D, {}, READ),
    "unit_year:booklet_xlsx": ("get", D, {}, READ),
    "unit_year:booklet_docx": ("get", D, {}, READ),
    "unit_year:data": ("get", D, {}, READ),
    "unit_year:checks": ("get", D, {}, READ),
    "unit_year:history": ("get", D, {}, READ),
    "unit_year:order": ("get", D, {}, WRITE_PAGE),
    "unit_year:copy": ("post", D, {"year": "2025"}, WRITE_POST),
    "unit_year:submit": ("post", D, {}, TRANSITION),
    "unit_year:review": ("post", D, {"grade": "优"}, TRANSITION),
    "unit_year:reopen": ("post", D, {"reason": "x"}, TRANSITION),
    "departments:manage": ("get", U, {}, ADMIN_PAGE),
    "departments:person_new": ("get", U, {}, ADMIN_PAGE),
    "departments:person": ("get", _person, {}, ADMIN_PAGE),
    "departments:person_password": ("post", _person, {}, ADMIN_POST),
    "departments:person_active": ("post", _person, {"active": "0"}, ADMIN_POST),
    "departments:person_remove": ("post", _person, {}, ADMIN_POST),
    "departments:person_unlock": ("post", _person, {}, ADMIN_POST),
    "departments:sections": ("get", U, {}, ADMIN_PAGE),
    "departments:settings": ("post", U, {}, ADMIN_POST),
    "unit_year:new": ("post", U, {"year": "2025"}, ADMIN_POST),
    "jobs:detail": ("get", _booklet_job, {}, READ),
    "jobs:status": ("get", _booklet_job, {}, READ),
    "jobs:file": ("get", _booklet_job, {}, READ),
    # The job page of the user's own units' zip; an outsider's year holds none: back home.
    "jobs:year_zip": ("post", (), {"year": "2024"}, _all(302, outsider=302)),
}
# The admin site has its own permission model (staff and superusers) and is pinned by
# tests/test_admin.py.
EXCLUDED_NAMESPACES = {"admin"}


def _named_urls(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            ns = pattern.namespace or ""
            if ns in EXCLUDED_NAMESPACES:
                continue
            yield from _named_urls(pattern, f"{namespace}{ns}:" if ns else namespace)
        elif pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_has_an_entry():
    assert sorted(set(_named_urls()) - set(EXPECTED)) == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_permission_matrix(client, request, reference, other_unit, name, role):
    method, args, data, expected = EXPECTED[name]
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    url = reverse(name, args=args(request) if callable(args) else args)
    response = getattr(client, method)(url, data)
    assert response.status_code == expected[role], (name, role, response.status_code)
    if expected[role] == 302 and role == "anonymous":
        assert response.url.startswith("/accounts/login/") or name == "logout"


@pytest.mark.parametrize("name", sorted(n for n, spec in EXPECTED.items() if spec[0] == "post"))
def test_no_write_by_get(client, request, finance, name):
    if name == "logout":
        return
    _, args, _, _ = EXPECTED[name]
    client.force_login(finance)
    url = reverse(name, args=args(request) if callable(args) else args)
    response = client.get(url)
    assert response.status_code == 405 and "POST" in response["Allow"]
    # A page in Chinese that says why, not an empty answer.
    assert "无法直接打开这个地址" in response.content.decode()


ONLY = {r: 404 for r in ROLES} | {"anonymous": 302}


def _job_of(request, kind: str, requester: str, **fields):
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from jobs.models import Job, State

    if kind != "import":
        fields["file"] = storages["jobs"].save(f"jobs/perm.{kind}", ContentFile(b"x"))
    return Job.objects.create(
        kind=kind,
        year=2024,
        requested_by=request.getfixturevalue(requester),
        stamp=f"permissions-{kind}",
        filename=f"perm.{kind}",
        state=State.DONE,
        **fields,
    )


# Each kind of job, by who may see it: a unit's files everyone of the unit; a year's zip and an
# import their requester alone (here finance; an import job makes no file: its file address
# leads back to its page).
JOB_KINDS = {
    "booklet_pdf": (True, "auditor", READ, READ),
    "data_xlsx": (True, "auditor", READ, READ),
    "year_zip": (False, "finance", ONLY | {"finance": 200}, ONLY | {"finance": 200}),
    "import": (False, "finance", ONLY | {"finance": 200}, ONLY | {"finance": 302}),
}


@pytest.mark.parametrize("kind", sorted(JOB_KINDS))
@pytest.mark.parametrize("role", ROLES)
def test_every_kind_of_job_is_seen_by_whom_it_belongs_to(client, request, reference, kind, role):
    of_unit, requester, pages, file = JOB_KINDS[kind]
    fields = {"department": reference.department} if of_unit else {}
    if kind == "year_zip":
        fields["units"] = [reference.department_id]
    job = _job_of(request, kind, requester, **fields)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    for name in ("detail", "status"):
        response = client.get(reverse(f"jobs:{name}", args=[job.token]))
        assert response.status_code == pages[role], (kind, name, role)
    response = client.get(reverse("jobs:file", args=[job.token]))
    assert response.status_code == file[role], (kind, "file", role)
    if response.status_code == 404:
        assert "perm." not in response.content.decode()
