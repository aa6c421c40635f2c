"""Markdown tables for asset metadata (shown as tables in the Dagster UI)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def markdown_table(columns: list[str], rows: Iterable[Iterable[Any]]) -> str:
    def cell(value: Any) -> str:
        if value is None:
            return "—"
        if isinstance(value, float):
            return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown_bullets(items: Iterable[Any], empty: str = "none") -> str:
    """A Markdown bullet list (problems, warnings, refusals), or ``empty`` when there are none."""
    return "\n".join(f"- {item}" for item in items) or empty
