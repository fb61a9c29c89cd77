"""Every model has an admin, and its pages open for an administrator."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ("departments", "projects", "indicators")


def _domain_models():
    return [
        m
        for app in DOMAIN_APPS
        for m in apps.get_app_config(app).get_models()
        if not m.__name__.startswith("Historical")
    ]


@pytest.mark.parametrize("model", _domain_models(), ids=lambda m: m.__name__)
def test_every_model_is_in_the_admin_and_its_pages_open(client, reference, model):
    assert model in admin.site._registry
    superuser = get_user_model().objects.create_superuser("root", password="x-Passw0rd-1")
    client.force_login(superuser)
    opts = model._meta
    assert (
        client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code
        == 200
    )
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200
    obj = model.objects.first()
    if obj is not None:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert client.get(url).status_code == 200


def test_a_unit_administrator_sees_only_their_units_in_the_admin(client, unit_admin, other_unit):
    from decimal import Decimal

    from django.contrib.auth.models import Permission

    from indicators.models import FrameworkVersion
    from projects.models import Project

    foreign = Project.objects.create(
        department=other_unit,
        year=2024,
        table_number=1,
        table_name="外单位",
        code="FOREIGN-1",
        name="外单位项目",
        budget_total=Decimal(1),
        fiscal_funds=Decimal(1),
        framework=FrameworkVersion.objects.get(code="2020"),
    )
    unit_admin.is_staff = True
    unit_admin.save()
    unit_admin.user_permissions.set(Permission.objects.filter(content_type__app_label="projects"))
    client.force_login(unit_admin)
    html = client.get(reverse("admin:projects_project_changelist")).content.decode()
    assert "13081123P000182100018" in html and "FOREIGN-1" not in html
    response = client.get(reverse("admin:projects_project_change", args=[foreign.pk]))
    assert response.status_code == 302  # "does not exist" for this user
    assert Project.objects.get(pk=foreign.pk).name == "外单位项目"
