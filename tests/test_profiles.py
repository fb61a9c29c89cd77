"""审核口径: which rules block submission is data a superuser edits in 系统管理, per framework
version; switching a rule's level changes what blocks, with no code change."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from indicators.checks import Severity, levels_for
from indicators.models import FrameworkVersion, Indicator, ReviewProfile, ReviewProfileRule
from projects.models import Project
from tests.test_checks import CODE, _findings, _fix_reference_project

pytestmark = pytest.mark.django_db


def _vague_project():
    """A sound reference project but for one vague 定性 value (an error under 严格口径)."""
    _fix_reference_project()
    Indicator.objects.filter(project__code=CODE, category__name="经济效益指标").update(
        value_text="有所提高"
    )


def _submit(client, finance):
    client.force_login(finance)
    return client.post(reverse("projects:submit", args=[2024, CODE]), follow=True)


def test_every_framework_ships_a_strict_profile_in_force_and_a_lenient_one():
    for framework in FrameworkVersion.objects.all():
        profiles = {p.name: p for p in framework.review_profiles.all()}
        assert set(profiles) == {"严格口径", "宽松口径"}
        assert profiles["严格口径"].is_active and not profiles["宽松口径"].is_active
        strict = dict(profiles["严格口径"].rules.values_list("rule", "level"))
        lenient = dict(profiles["宽松口径"].rules.values_list("rule", "level"))
        assert strict["VALUE_VAGUE"] == "error" and lenient["VALUE_VAGUE"] == "warning"
        assert strict["FUNDS_SUM"] == lenient["FUNDS_SUM"] == "error"


def test_switching_a_rule_changes_what_blocks_submission(client, finance):
    _vague_project()
    response = _submit(client, finance)
    assert "还有 1 个审核错误" in response.content.decode()
    assert Project.objects.get(code=CODE).status == "draft"
    ReviewProfileRule.objects.filter(
        profile__framework__code="2020", profile__is_active=True, rule="VALUE_VAGUE"
    ).update(level="warning")
    vague = [f for f in _findings() if f.code == "VALUE_VAGUE"]
    assert [f.severity for f in vague] == [Severity.WARNING]
    _submit(client, finance)
    assert Project.objects.get(code=CODE).status == "submitted"


def test_a_rule_switched_off_is_not_reported(reference):
    _vague_project()
    ReviewProfileRule.objects.filter(
        profile__framework__code="2020", profile__is_active=True, rule="VALUE_VAGUE"
    ).update(level="off")
    assert "VALUE_VAGUE" not in {f.code for f in _findings()}


def test_a_profile_applies_to_its_framework_only(reference):
    ReviewProfileRule.objects.filter(profile__framework__code="2021", rule="VALUE_VAGUE").update(
        level="off"
    )
    _vague_project()
    assert "VALUE_VAGUE" in {f.code for f in _findings()}  # the project is on 2020
    assert levels_for(FrameworkVersion.objects.get(code="2021").pk)["VALUE_VAGUE"] == "off"


def _admin(client):
    user = get_user_model().objects.create_superuser("root", password="x-Passw0rd-long")
    client.force_login(user)


def _change_data(profile: ReviewProfile, **changes) -> dict:
    rules = list(profile.rules.order_by("pk"))
    data = {
        "framework": profile.framework_id,
        "name": profile.name,
        "description": profile.description,
        "rules-TOTAL_FORMS": len(rules),
        "rules-INITIAL_FORMS": len(rules),
        "rules-MIN_NUM_FORMS": 0,
        "rules-MAX_NUM_FORMS": 1000,
    }
    if changes.pop("is_active", profile.is_active):
        data["is_active"] = "on"
    for i, rule in enumerate(rules):
        data[f"rules-{i}-id"] = rule.pk
        data[f"rules-{i}-profile"] = profile.pk
        data[f"rules-{i}-rule"] = rule.rule
        data[f"rules-{i}-level"] = changes.get(rule.rule, rule.level)
    return data


def test_a_superuser_edits_a_profile_in_system_admin(client, finance):
    _vague_project()
    _admin(client)
    profile = ReviewProfile.objects.get(framework__code="2020", is_active=True)
    url = reverse("admin:indicators_reviewprofile_change", args=[profile.pk])
    page = client.get(url).content.decode()
    assert "定性指标值含糊" in page and "VALUE_VAGUE</option>" not in page
    response = client.post(url, _change_data(profile, VALUE_VAGUE="info"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert profile.rules.get(rule="VALUE_VAGUE").level == "info"
    _submit(client, finance)
    assert Project.objects.get(code=CODE).status == "submitted"


def test_putting_the_lenient_profile_in_force_retires_the_strict_one(client, reference):
    _admin(client)
    lenient = ReviewProfile.objects.get(framework__code="2020", name="宽松口径")
    url = reverse("admin:indicators_reviewprofile_change", args=[lenient.pk])
    response = client.post(url, _change_data(lenient, is_active=True))
    assert response.status_code == 302
    active = ReviewProfile.objects.filter(framework__code="2020", is_active=True)
    assert [p.name for p in active] == ["宽松口径"]
    assert levels_for(lenient.framework_id)["VALUE_REPEATS_TEXT"] == "warning"
