"""The reference unit, named users of it and an outsider of another unit, shared by every test.

The reference unit-year is loaded once per test session, right after the test database is
created, and committed. A test that uses the database runs inside a transaction that is rolled
back, so each one finds the reference as loaded and leaves no trace. Transactional tests
(`transaction=True`, `live_server`) run after every other database test (pytest-django orders
them so) and empty the database when they finish, `migrate`'s rows included; the next one gets
those back through `serialized_rollback=True`, and `reference` loads the reference again. A test
that needs the database as `migrate` leaves it (no unit, project or user) asks for `empty_db`.
"""

import json
import os
import tempfile

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from hypothesis import settings as hypothesis_settings

from departments.models import Department, DepartmentYear, Membership, Role

# Bad-input suites (tests/test_bad_input.py): few repeatable examples in CI, many random ones by
# hand with HYPOTHESIS_PROFILE=full.
hypothesis_settings.register_profile(
    "ci", max_examples=12, derandomize=True, deadline=None, database=None, print_blob=True
)
hypothesis_settings.register_profile("full", max_examples=400, deadline=None, print_blob=True)
hypothesis_settings.load_profile(os.getenv("HYPOTHESIS_PROFILE", "ci"))

# Background jobs run inside the request that starts them (a test sees their outcome at once),
# and their files go to a directory of this test session.
settings.JOB_BACKEND = "inline"
settings.STORAGES = {
    **settings.STORAGES,
    "jobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tempfile.mkdtemp(prefix="perfbudget-test-files-")},
    },
}

# Password hashing is most of a login's cost and says nothing a test checks: a fast hasher
# first (the slow default stays listed, so hashes made elsewhere still verify).
settings.PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    *settings.PASSWORD_HASHERS,
]

REFERENCE_FIXTURE = settings.BASE_DIR / "fixtures" / "reference-2024.json"
REFERENCE_CODE = "136001"
REFERENCE_YEAR = 2024
PASSWORD = "s3cret-Passw0rd"

# The primary keys of every table's rows as `migrate` left the test database (the frameworks,
# the indicator library, 审核口径, content types, permissions): what `empty_db` keeps.
MIGRATED_ROWS: dict[type, list] = {}


def make_user(username: str, department: Department | None = None, role: str = "", sections=()):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    if department is not None:
        membership = Membership.objects.create(user=user, department=department, role=role)
        membership.sections.set(sections)
    return user


@pytest.fixture
def reference_data() -> dict:
    return json.loads(REFERENCE_FIXTURE.read_text(encoding="utf-8"))


def _reference() -> DepartmentYear | None:
    return (
        DepartmentYear.objects.select_related("department")
        .filter(department__code=REFERENCE_CODE, year=REFERENCE_YEAR)
        .first()
    )


def _reference_load() -> DepartmentYear:
    """Load the reference unit-year exactly as `load_demo` loads it, in one transaction."""
    from projects.services import unit_year_load

    with transaction.atomic():
        unit_year_load(data=json.loads(REFERENCE_FIXTURE.read_text(encoding="utf-8")))
    return _reference()


def _tables() -> list[type]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database as pytest-django creates it, then the reference unit-year, committed."""
    with django_db_blocker.unblock():
        MIGRATED_ROWS.update(
            (model, list(model._base_manager.values_list("pk", flat=True))) for model in _tables()
        )
        if _reference() is None:
            _reference_load()


@pytest.fixture
def reference(db) -> DepartmentYear:
    """The reference unit and year, loaded exactly as `load_demo` loads it (once per session;
    again in a transactional test that runs after another one emptied the database)."""
    return _reference() or _reference_load()


@pytest.fixture
def empty_db(db) -> None:
    """The database as `migrate` leaves it: every row added since is deleted (inside the test's
    transaction; a transactional test's database is emptied when it finishes anyway)."""
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for model, kept in MIGRATED_ROWS.items():
            table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
            if kept:
                placeholders = ", ".join(["%s"] * len(kept))
                cursor.execute(f"DELETE FROM {table} WHERE {pk} NOT IN ({placeholders})", kept)
            else:
                cursor.execute(f"DELETE FROM {table}")
    assert not Department.objects.exists() and not get_user_model().objects.exists()


@pytest.fixture
def unit(reference) -> Department:
    return reference.department


@pytest.fixture
def finance(unit):
    return make_user("finance1", unit, Role.FINANCE)


@pytest.fixture
def chief(unit):
    return make_user("chief1", unit, Role.CHIEF, sections=unit.sections.all())


@pytest.fixture
def auditor(unit):
    return make_user("auditor1", unit, Role.AUDITOR)


@pytest.fixture
def other_unit(db) -> Department:
    return Department.objects.create(code="999001", name="另一个单位")


@pytest.fixture
def outsider(other_unit):
    return make_user("outsider1", other_unit, Role.FINANCE)


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test starts with an empty download cache of its own."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def unit_admin(unit):
    return make_user("admin1", unit, Role.ADMIN)
