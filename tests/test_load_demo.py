import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from departments.models import Membership
from indicators.models import Indicator
from projects.models import Project

# load_demo runs on a new database: it starts from the one `migrate` leaves.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_db")]


def test_load_demo_creates_the_unit_and_users(settings):
    settings.DEBUG = True
    call_command("load_demo")
    assert Project.objects.filter(year=2024).count() == 5
    for username in ("finance", "chief", "auditor", "admin"):
        assert authenticate(username=username, password="demo") is not None
    chief = Membership.objects.get(user__username="chief")
    assert chief.sections.count() == 4


def test_load_demo_is_idempotent(settings):
    settings.DEBUG = True
    call_command("load_demo")
    call_command("load_demo")
    assert Project.objects.count() == 5
    assert Indicator.objects.count() == 45
    assert Membership.objects.count() == 4


def test_demo_password_comes_from_the_environment(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("DEMO_PASSWORD", "another-pass-9")
    call_command("load_demo")
    assert authenticate(username="finance", password="demo") is None
    assert authenticate(username="finance", password="another-pass-9") is not None


def test_load_demo_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo")
    assert not Project.objects.exists()
    call_command("load_demo", force=True)
    assert Project.objects.count() == 5
