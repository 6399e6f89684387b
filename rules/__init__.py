"""The rule set: every `Rule` subclass defined in `rules/meta/`, `rules/python/` and `rules/tsx/`."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from perfscan.rule import Rule

_PACKAGES = (f"{__name__}.meta", f"{__name__}.python", f"{__name__}.tsx")


@lru_cache(maxsize=None)
def all_rules() -> tuple[Rule, ...]:
    """One instance of every rule, sorted by code. Codes and names are unique."""
    found: dict[str, Rule] = {}
    names: dict[str, str] = {}
    for package_name in _PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package_name}.{info.name}")
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, Rule)
                    and value is not Rule
                    and value.__module__ == module.__name__
                    and getattr(value, "code", None)
                ):
                    if value.code in found or value.name in names:
                        raise RuntimeError(f"duplicate rule {value.code} {value.name}")
                    found[value.code] = value()
                    names[value.name] = value.code
    return tuple(found[code] for code in sorted(found))


def rule_by_code_or_name(key: str) -> Rule | None:
    key_upper = key.upper()
    for rule in all_rules():
        if rule.code == key_upper or rule.name == key:
            return rule
    return None
