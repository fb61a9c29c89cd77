"""审核口径: the severity each rule has for a framework version, read from the database in one
query; a rule the profile does not list keeps the catalogue's strict severity."""

from dataclasses import replace

from indicators.checks.catalogue import CATALOGUE, Level
from indicators.checks.core import Finding

Levels = dict[str, str]  # rule code → error / warning / info / off


def strict_levels() -> Levels:
    return {code: rule.strict for code, rule in CATALOGUE.items()}


def levels_for(framework_id: int | None) -> Levels:
    """The levels of the profile in force for the framework (one query), over the defaults."""
    from indicators.models import ReviewProfileRule

    levels = strict_levels()
    if framework_id is None:
        return levels
    rows = ReviewProfileRule.objects.filter(
        profile__framework_id=framework_id, profile__is_active=True
    ).values_list("rule", "level")
    levels.update((rule, level) for rule, level in rows if rule in CATALOGUE)
    return levels


def apply_levels(findings: list[Finding], levels: Levels) -> list[Finding]:
    out = []
    for f in findings:
        level = levels.get(f.code, f.severity)
        if level == Level.OFF:
            continue
        out.append(f if level == f.severity else replace(f, severity=level))
    return out


class LevelsCache:
    """Levels per framework within one run over many projects (one query per framework)."""

    def __init__(self):
        self._by_framework: dict[int | None, Levels] = {}

    def __call__(self, framework_id: int | None) -> Levels:
        if framework_id not in self._by_framework:
            self._by_framework[framework_id] = levels_for(framework_id)
        return self._by_framework[framework_id]
