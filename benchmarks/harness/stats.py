"""Percentiles and table cells."""

from __future__ import annotations


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values`: the nearest rank, no interpolation."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms_cell(value: float | None) -> str:
    """A milliseconds table cell: two decimals, or '-' for a model without the figure."""
    return "-" if value is None else f"{value:.2f}"
