"""Per-file semantic facts, built once per file and shared by every rule."""

from __future__ import annotations

from ..source import SourceFile


def build_facts(source: SourceFile):
    if source.family == "python":
        from .python import PythonFacts

        return PythonFacts.build(source)
    from .tsx import TsxFacts

    return TsxFacts.build(source)
