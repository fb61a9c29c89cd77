import pytest
from django.contrib.auth import authenticate, get_user_model
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


def test_loading_the_demo_again_keeps_what_its_users_changed(settings):
    """`make run` loads the demo on every start: a second load must not undo the edits made
    in the demo since (nor reset a password someone changed)."""
    settings.DEBUG = True
    call_command("load_demo")
    project = Project.objects.get(code="13081123P000182100018")
    project.fund_use = "演示中改过的资金用途"
    project.version += 1
    project.save()
    finance = get_user_model().objects.get(username="finance")
    finance.set_password("changed-Passw0rd")
    finance.save()
    call_command("load_demo")
    project.refresh_from_db()
    assert project.fund_use == "演示中改过的资金用途"
    assert authenticate(username="finance", password="changed-Passw0rd") is not None
    assert Project.objects.count() == 5 and Membership.objects.count() == 4
