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
