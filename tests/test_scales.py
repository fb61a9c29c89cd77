from decimal import Decimal

import pytest

from departments.scales import Bound, describe_bound, grades_for, parse_bound, scale_gaps

REFERENCE_SCALE = [
    Bound("优", "≥", Decimal(100)),
    Bound("良", "≥", Decimal(90)),
    Bound("中", "≥", Decimal(80)),
    Bound("差", "<", Decimal(60)),
]


@pytest.mark.parametrize(
    ("value", "grades"),
    [
        ("100", ["优"]),
        ("99.99", ["良"]),
        ("90", ["良"]),
        ("89.99", ["中"]),
        ("80", ["中"]),
        ("79.99", []),
        ("70", []),
        ("60", []),
        ("59.99", ["差"]),
        ("0", ["差"]),
    ],
)
def test_reference_scale_grades_at_and_around_every_bound(value, grades):
    assert grades_for(REFERENCE_SCALE, Decimal(value)) == grades


def test_reference_scale_hole_from_60_to_80_is_found():
    gaps = scale_gaps(REFERENCE_SCALE)
    assert [(g.kind, g.low, g.high) for g in gaps] == [("hole", Decimal(60), Decimal(80))]
    assert gaps[0].describe() == "60%–80% 之间的完成值不属于任何等级"


def test_sound_scale_has_no_gaps():
    scale = [*REFERENCE_SCALE[:3], Bound("差", "<", Decimal(80))]
    assert scale_gaps(scale) == []


def test_overlap_is_found():
    scale = [*REFERENCE_SCALE[:3], Bound("差", "<", Decimal(85))]
    gaps = scale_gaps(scale)
    assert [(g.kind, g.low, g.high, g.grades) for g in gaps] == [
        ("overlap", Decimal(80), Decimal(85), ("中", "差"))
    ]


@pytest.mark.parametrize(
    ("text", "expected", "printed"),
    [
        ("100%", ("≥", Decimal(100)), "100%"),
        ("60%以下", ("<", Decimal(60)), "60%以下"),
        ("60%及以下", ("≤", Decimal(60)), "60%及以下"),
        ("≥ 95%", ("≥", Decimal(95)), "95%"),
        ("85.5%", ("≥", Decimal("85.5")), "85.5%"),
    ],
)
def test_bounds_read_and_print_as_the_booklet_does(text, expected, printed):
    assert parse_bound(text) == expected
    assert describe_bound(Bound("优", *expected)) == printed


@pytest.mark.parametrize("text", ["", "很好", "120%", "-5%"])
def test_bad_bound_text_is_refused_in_chinese(text):
    with pytest.raises(ValueError, match="百分比|0%到100%"):
        parse_bound(text)
