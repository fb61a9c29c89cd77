"""Real published 项目支出绩效目标表 of several provinces (tests/corpus/, one file per table, each
with its source address): every comment a reviewer writes down for a row or the project is raised
by the rules, and a row the reviewer passes raises no warning or error. A table whose published
copy breaks off (`source.truncated`) is checked row by row only."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from indicators.checks import (
    IndicatorData,
    Severity,
    TargetData,
    check_target_data,
    framework_tree,
    strict_levels,
)
from indicators.models import FrameworkVersion

CORPUS = Path(__file__).resolve().parent / "corpus"
TABLES = sorted(CORPUS.glob("*.json"))
BLOCKING = (Severity.ERROR, Severity.WARNING)


def _amount(text: str) -> Decimal | None:
    return Decimal(text) if text not in ("", None) else None


def load(path: Path) -> tuple[dict, TargetData]:
    table = json.loads(path.read_text(encoding="utf-8"))
    framework = FrameworkVersion.objects.prefetch_related("primaries__secondaries").get(
        code=table["framework"]
    )
    rows = [
        (
            r["primary"],
            r["secondary"],
            IndicatorData(f"row-{i}", r["name"], r["description"], r["value"], r["basis"]),
        )
        for i, r in enumerate(table["indicators"])
    ]
    known = {(p.name, s.name) for p in framework.primaries.all() for s in p.secondaries.all()}
    assert {(p, s) for p, s, _ in rows} <= known, f"{path.name}: unknown 一级/二级"
    by_place: dict[tuple[str, str], list] = {}
    for primary, secondary, row in rows:
        by_place.setdefault((primary, secondary), []).append(row)
    primaries = framework_tree(framework, lambda p, s: by_place.get((p.name, s.name), []))
    project = table["project"]
    data = TargetData(
        _amount(project["budget_total"]),
        _amount(project["fiscal_funds"]),
        _amount(project["other_funds"]),
        project["target"],
        {12: Decimal(100)},  # the published tables print no schedule
        [12],
        primaries,
        framework.pk,
    )
    return table, data


def test_the_corpus_spans_provinces_frameworks_and_years():
    tables = [json.loads(p.read_text(encoding="utf-8")) for p in TABLES]
    assert len(tables) >= 8
    assert len({t["source"]["province"] for t in tables}) >= 4
    assert {t["framework"] for t in tables} == {"2020", "2021"}
    assert all(2020 <= t["source"]["year"] <= 2024 for t in tables)
    assert all(t["source"]["url"].startswith("http") for t in tables)


@pytest.mark.django_db
@pytest.mark.parametrize("path", TABLES, ids=[p.stem for p in TABLES])
def test_every_expected_comment_is_raised_and_sound_rows_pass(path):
    table, data = load(path)
    findings = check_target_data(data, strict_levels())
    by_row: dict[str, set] = {}
    for f in findings:
        by_row.setdefault(f.anchor, set()).add((f.code, f.severity))
    for i, row in enumerate(table["indicators"]):
        raised = by_row.get(f"row-{i}", set())
        codes = {code for code, _ in raised}
        where = f"{row['secondary']} / {row['name']} = {row['value']!r}"
        missing = set(row["expected"]) - codes
        assert not missing, f"{where}: not raised {missing} (raised {codes})"
        if not row["expected"]:
            blocking = {code for code, severity in raised if severity in BLOCKING}
            assert not blocking, f"{where}: a sound row is flagged {blocking}"
    project_level = {(f.code, f.severity) for f in findings if not f.anchor.startswith("row-")}
    codes = {code for code, _ in project_level}
    assert set(table["project"]["expected"]) <= codes, codes
    if table["source"].get("truncated"):
        return  # the copy breaks off: what the whole project lacks cannot be judged
    unexpected = {
        code
        for code, severity in project_level
        if severity in BLOCKING and code not in table["project"]["expected"]
    }
    assert not unexpected, f"project: raised {unexpected} that the reviewer did not"


@pytest.mark.django_db
def test_recall_over_the_whole_corpus():
    """The share of the reviewers' rule-makeable comments that are raised (the bar is 80%)."""
    expected = raised = 0
    for path in TABLES:
        table, data = load(path)
        findings = check_target_data(data, strict_levels())
        got = {(f.anchor, f.code) for f in findings}
        project = {code for anchor, code in got if not anchor.startswith("row-")}
        for i, row in enumerate(table["indicators"]):
            expected += len(row["expected"])
            raised += sum(1 for code in row["expected"] if (f"row-{i}", code) in got)
        expected += len(table["project"]["expected"])
        raised += sum(1 for code in table["project"]["expected"] if code in project)
    assert expected >= 60
    assert raised / expected >= 0.8
