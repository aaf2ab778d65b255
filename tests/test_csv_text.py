"""``csv_text`` writes exactly what ``DataFrame.to_csv`` writes (the run files depend on it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.records.csv_text import csv_text

FLOATS = [0.1 + 0.2, -0.0, 1e-300, 123456789012345.0, np.nan, np.inf, -np.inf, 2.5, -7.0]


def _expected(frame, float_format="%.10g"):
    return frame.to_csv(index=False, float_format=float_format, lineterminator="\n")


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"scenario": ["baseline"] * 9, "replication": range(9), "kpi": list("abcdefghi"),
                  "value": FLOATS}),
    pd.DataFrame({"name": ["plain", "with, comma", 'with "quote"', "", "two\nlines", "x", "y",
                           "z", "w"], "value": FLOATS}),
    pd.DataFrame({"flag": [True, False] * 4 + [True], "n": np.arange(9, dtype=np.int32),
                  "value": FLOATS}),
    pd.DataFrame({"period": pd.Series(["2024-03-31"] * 9, dtype="string"), "value": FLOATS}),
    pd.DataFrame({"text": ["a", None, "c", "d", "e", "f", "g", "h", "i"], "value": FLOATS}),
    pd.DataFrame({"mixed": [1, "b", 2.5, "d", "e", "f", "g", "h", "i"], "value": FLOATS}),
    pd.DataFrame({"value": FLOATS}),
    pd.DataFrame({"a, b": [1.0, 2.0], "c": ["x", "y"]}),
    pd.DataFrame({"a": pd.Series([1, None], dtype="Int64"), "b": [0.5, 0.25]}),
    pd.DataFrame({"day": pd.to_datetime(["2024-03-31", "2025-03-31"]), "b": [0.5, 0.25]}),
    pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=str)}),
], ids=["run-file", "quoting", "int-bool", "string-dtype", "missing-text", "mixed-objects",
        "one-column", "quoted-header", "nullable-int", "dates", "empty"])
def test_csv_text_matches_to_csv(frame):
    """Byte for byte the text pandas writes, on the fast path and on every fallback."""
    expected = _expected(frame)
    found = csv_text(frame, "%.10g")
    assert found == expected, f"expected {expected!r}, found {found!r}"


def test_csv_text_other_float_formats():
    """Other formats (and none) give pandas' text too."""
    frame = pd.DataFrame({"kpi": ["a", "b", "c"], "value": [1 / 3, np.nan, 1e20]})
    for float_format in ("%.3f", "%g", "%.2e", None):
        expected = _expected(frame, float_format)
        found = csv_text(frame, float_format)
        assert found == expected, f"{float_format}: expected {expected!r}, found {found!r}"


def test_csv_text_without_float_format_on_edge_and_random_floats():
    """No float format (the per-replication files): pandas' default float text, byte for byte,
    for edge values (NaN, infinities, -0.0, huge, tiny, subnormal, whole numbers stored as
    floats, the boundaries where the text turns to exponent form) and random bit patterns."""
    rng = np.random.default_rng(7)
    edges = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0, -3.0, 1e16, 1e15, 9999999999999998.0,
             123456789012345678.0, 1e-4, 1e-5, 0.0001234, 5e-324, 2.2250738585072014e-308,
             1.7976931348623157e308, 0.1 + 0.2, 1 / 3, 2.0 ** 53, 2.0 ** 53 + 2, 100.0, 1e22, 1e23]
    bits = rng.integers(0, 2 ** 63, 20_000, dtype=np.int64)
    random = bits.view(np.float64)
    spread = rng.standard_normal(20_000) * 10.0 ** rng.integers(-20, 20, 20_000)
    whole = rng.integers(-10 ** 6, 10 ** 6, 5_000).astype(float)
    values = np.concatenate([edges, random, -random, spread, whole])
    frame = pd.DataFrame({"scenario": "baseline", "replication": 3,
                          "kpi": [f"kpi_{i % 97}" for i in range(len(values))], "value": values})
    assert csv_text(frame, None) == frame.to_csv(index=False, lineterminator="\n")
