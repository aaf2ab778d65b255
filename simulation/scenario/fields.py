"""Quantities with provenance: the field types every scenario section is built from.

Every parameter carries a ``source`` or an ``assumption`` with a plausible ``range``; a value
must lie inside its range. Tables over a closed set (``vocabulary``) check their keys.
"""

from __future__ import annotations

import math
from typing import Annotated, Generic, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

Key = TypeVar("Key")

_STRICT = ConfigDict(extra="forbid", frozen=True)


class _Provenance(BaseModel):
    """Shared rule: a source, or an assumption with a range."""

    model_config = _STRICT
    source: str | None = None
    assumption: str | None = None

    @model_validator(mode="after")
    def _has_provenance(self):
        if bool(self.source) == bool(self.assumption):
            raise ValueError("exactly one of 'source' or 'assumption' (with a 'range')")
        if self.assumption and getattr(self, "range", None) is None:
            raise ValueError("an assumption needs a plausible 'range'")
        return self


Finite = Annotated[float, Field(allow_inf_nan=False)]
UnitInterval = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
PositiveFinite = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Quantity(_Provenance):
    """A number with provenance; ``value`` must lie within ``range`` when one is given."""

    value: Finite
    range: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _in_range(self):
        if self.range is not None:
            low, high = self.range
            if not low <= self.value <= high:
                raise ValueError(f"value inside its range [{low}, {high}]")
        return self


class NonNegative(Quantity):
    value: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Positive(Quantity):
    value: PositiveFinite


class Probability(Quantity):
    value: UnitInterval


class ProbabilityTable(_Provenance, Generic[Key]):
    """Probabilities over a closed set of outcomes; they must sum to 1 (missing keys are 0)."""

    value: dict[Key, UnitInterval]
    range: dict[Key, tuple[float, float]] | None = None

    @model_validator(mode="after")
    def _sums_to_one(self):
        total = sum(self.value.values())
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise ValueError(f"probabilities summing to 1 (they sum to {total:.6g})")
        return self


class _EveryKey(_Provenance):
    """Tables that need a value for every key of their closed set."""

    @model_validator(mode="after")
    def _has_every_key(self):
        (key_type,) = type(self).__pydantic_generic_metadata__["args"] or (None,)
        missing = sorted(set(get_args(key_type)) - set(self.value)) if key_type is not None else []
        if missing:
            raise ValueError(f"a value for every key; missing {', '.join(missing)}")
        return self


class ProbabilityByKey(_EveryKey, Generic[Key]):
    """A probability for each key of a closed set (they need not sum to 1); all keys required."""

    value: dict[Key, UnitInterval]
    range: dict[Key, tuple[float, float]] | None = None


class PositiveByKey(_EveryKey, Generic[Key]):
    """A positive number for each key of a closed set; all keys required."""

    value: dict[Key, PositiveFinite]
    range: dict[Key, tuple[float, float]] | None = None


class CountByYear(_Provenance):
    """Counts by calendar year, e.g. the ONS mid-year population."""

    value: dict[str, PositiveFinite]
    range: tuple[float, float] | None = None


class _Section(BaseModel):
    model_config = _STRICT
