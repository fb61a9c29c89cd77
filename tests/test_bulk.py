"""Many rows in one statement (perfbudget/lib/bulk.py): every kind of column the importer
writes — text, a number or none, a foreign key, a date and time — reads back as written, other
columns and other rows are left as they are, each written row gets one history row, and the
statements stay within the database's limit on parameters."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from indicators.models import Indicator, SecondaryCategory
from perfbudget.lib import bulk
from projects.models import Project

pytestmark = pytest.mark.django_db


def test_every_kind_of_column_reads_back_as_written(reference):
    indicators = list(Indicator.objects.order_by("pk")[:6])
    untouched = Indicator.objects.order_by("pk")[6]
    other = SecondaryCategory.objects.exclude(pk=indicators[0].category_id).first()
    for n, indicator in enumerate(indicators):
        indicator.value_text = f"≥{n}个（改）'\"%s"  # quotes and a placeholder stay text
        indicator.value_number = Decimal(f"{n}.25") if n % 2 else None
        indicator.order = 100 + n
        indicator.category = other
    before = {i.pk: i.basis for i in indicators}
    history = Indicator.history.count()
    bulk.bulk_update_with_history(
        indicators, Indicator, ["value_text", "value_number", "order", "category"]
    )
    for n, indicator in enumerate(Indicator.objects.filter(pk__in=before).order_by("pk")):
        assert indicator.value_text == f"≥{n}个（改）'\"%s"
        assert indicator.value_number == (Decimal(f"{n}.25") if n % 2 else None)
        assert (indicator.order, indicator.category_id) == (100 + n, other.pk)
        assert indicator.basis == before[indicator.pk]  # a column not named is left
    fresh = Indicator.objects.get(pk=untouched.pk)
    assert (fresh.value_text, fresh.order) == (untouched.value_text, untouched.order)
    assert Indicator.history.count() == history + len(indicators)
    newest = Indicator.history.filter(id=indicators[1].pk).order_by("-history_id").first()
    assert (newest.history_type, newest.value_number) == ("~", Decimal("1.25"))


def test_a_date_and_time_and_a_version_are_written(reference):
    projects = list(Project.objects.order_by("pk"))
    moment = timezone.now().replace(microsecond=0)
    for project in projects:
        project.version += 7
        project.updated_at = moment
    bulk.bulk_update(Project, projects, ["version", "updated_at"])
    for project in Project.objects.order_by("pk"):
        assert project.updated_at == moment
    assert [p.version for p in Project.objects.order_by("pk")] == [p.version for p in projects]


def test_the_rows_go_in_batches_within_the_databases_limit(reference, monkeypatch):
    indicators = list(Indicator.objects.order_by("pk")[:10])
    for indicator in indicators:
        indicator.basis = "分批写入"
    # Three columns take 7 parameters a row: a limit of 30 leaves room for 4 rows a statement.
    monkeypatch.setattr(connection.features, "max_query_params", 30)
    with CaptureQueriesContext(connection) as queries:
        bulk.bulk_update(Indicator, indicators, ["basis", "order", "value_text"])
    assert len(queries.captured_queries) == 3  # 4 + 4 + 2 rows
    assert Indicator.objects.filter(basis="分批写入").count() == 10
