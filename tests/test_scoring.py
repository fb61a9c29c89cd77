"""Scoring by hand-computed cases (DESIGN §6)."""

from decimal import Decimal as D

import pytest

from indicators.scoring import (
    ScoringError,
    budget_execution_score,
    indicator_score,
    split_points,
    total_grade,
)


@pytest.mark.parametrize(
    ("executed", "budget", "expected"),
    [
        ("150", "150", "10.00"),
        ("75", "150", "5.00"),
        ("160", "150", "10.00"),
        ("0", "150", "0.00"),
        ("0", "0", "10.00"),
        ("1", "3", "3.33"),
        ("2", "3", "6.67"),
    ],
)
def test_budget_execution(executed, budget, expected):
    assert budget_execution_score(D(executed), D(budget), D(10)) == D(expected)


@pytest.mark.parametrize(
    ("operator", "target", "actual", "expected"),
    [
        ("≥", "95", "95", "10.00"),
        ("≥", "95", "100", "10.00"),
        ("≥", "95", "90", "9.47"),
        (">", "100", "50", "5.00"),
        ("≥", "95", "0", "0.00"),
        ("≥", "0", "5", "10.00"),
        ("≤", "150", "150", "10.00"),
        ("≤", "150", "120", "10.00"),
        ("≤", "150", "200", "7.50"),
        ("<", "30", "45", "6.67"),
        ("≤", "150", "0", "10.00"),
        ("≤", "0", "10", "0.00"),
        ("=", "10", "10", "10.00"),
        ("=", "10", "9", "0.00"),
    ],
)
def test_quantitative_indicators(operator, target, actual, expected):
    score = indicator_score(operator=operator, target=D(target), actual=D(actual), points=D(10))
    assert score == D(expected)


@pytest.mark.parametrize(
    ("achievement", "share", "expected"),
    [
        ("met", None, "5.00"),
        ("partial", None, "3.50"),
        ("partial", D(60), "3.00"),
        ("missed", D(20), "1.00"),
        ("missed", None, "0.00"),
    ],
)
def test_qualitative_indicators(achievement, share, expected):
    score = indicator_score(
        operator="定性", target=None, actual=None, points=D(5), achievement=achievement, share=share
    )
    assert score == D(expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"operator": "定性", "achievement": ""}, "须选择达成"),
        ({"operator": "定性", "achievement": "partial", "share": D(90)}, "60% 到 80%"),
        ({"operator": "≥", "target": D(1), "actual": None}, "须有目标值和实际完成值"),
        ({"operator": "≥", "target": D(1), "actual": D(-1)}, "不能为负数"),
    ],
)
def test_unscorable_input_is_refused(kwargs, message):
    defaults = {"target": None, "actual": None, "points": D(10)}
    with pytest.raises(ScoringError, match=message):
        indicator_score(**{**defaults, **kwargs})


def test_points_split_evenly_and_add_up():
    shares = split_points(D(50), [None, None, None])
    assert shares == [D("16.67"), D("16.67"), D("16.66")] and sum(shares) == D(50)


def test_points_split_by_weights():
    assert split_points(D(30), [D(2), D(1), D(1)]) == [D("15.00"), D("7.50"), D("7.50")]
    assert split_points(D(30), [D(1), None]) == [D("15.00"), D("15.00")]  # not every row weighted


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        ("100", "优"),
        ("90", "优"),
        ("89.99", "良"),
        ("80", "良"),
        ("79.99", "中"),
        ("60", "中"),
        ("59.99", "差"),
        ("0", "差"),
    ],
)
def test_total_grades(total, grade):
    assert total_grade(D(total)) == grade


def test_a_hand_computed_project_total():
    # 预算执行 145/150 of 10; 产出 50 over 4 rows; 效益 30 over 2; 满意度 10 over 1.
    budget = budget_execution_score(D(145), D(150), D(10))  # 9.67
    output = split_points(D(50), [None] * 4)  # 12.50 each
    benefit = split_points(D(30), [None] * 2)  # 15.00 each
    rows = [
        indicator_score(operator="≥", target=D(365), actual=D(365), points=output[0]),  # 12.50
        indicator_score(operator="=", target=D(100), actual=D(98), points=output[1]),  # 0.00
        indicator_score(
            operator="定性", target=None, actual=None, points=output[2], achievement="met"
        ),
        indicator_score(operator="≤", target=D(150), actual=D(160), points=output[3]),  # 11.72
        indicator_score(operator="≥", target=D(90), actual=D(81), points=benefit[0]),  # 13.50
        indicator_score(
            operator="定性",
            target=None,
            actual=None,
            points=benefit[1],
            achievement="partial",
            share=D(70),
        ),  # 10.50
        indicator_score(operator="≥", target=D(95), actual=D(96), points=D(10)),  # 10.00
    ]
    assert rows == [
        D("12.50"),
        D("0.00"),
        D("12.50"),
        D("11.72"),
        D("13.50"),
        D("10.50"),
        D("10.00"),
    ]
    total = budget + sum(rows)
    assert budget == D("9.67") and total == D("80.39") and total_grade(total) == "良"
