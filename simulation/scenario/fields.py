"""Quantities with provenance: the field types every scenario section is built from.

Every parameter carries a ``source`` or an ``assumption`` with a plausible ``range``; a value
must lie inside its range. Tables over a closed set (``vocabulary``) check their keys.

Numbers are strict: ``value = "600"`` or ``value = true`` is refused, not read as 600 or 1 (a
quoted number is usually a slip, and a boolean never a count). Every section checks each of its
parameters against its plausibility bounds (``simulation.scenario.plausibility``), sourced or not.
"""

from __future__ import annotations

import math
from typing import Annotated, Generic, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from simulation.scenario import plausibility

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


# Strict: an int or a float, never a string or a boolean (pydantic would read "600" as 600.0).
Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
UnitInterval = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
PositiveFinite = Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)]
Bounds = tuple[Finite, Finite]
#: A switch: ``true`` or ``false`` only (not "yes", 1 or "0").
Flag = Annotated[bool, Field(strict=True)]
#: A calendar year as a table key ("2023"): the population is looked up by year number.
Year = Annotated[str, Field(pattern=r"^(19|20|21)\d\d$")]


class Quantity(_Provenance):
    """A number with provenance; ``value`` must lie within ``range`` when one is given."""

    value: Finite
    range: Bounds | None = None

    @model_validator(mode="after")
    def _in_range(self):
        if self.range is not None:
            low, high = self.range
            if not low <= self.value <= high:
                raise ValueError(f"value inside its range [{low}, {high}]")
        return self


class NonNegative(Quantity):
    value: Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]


class Positive(Quantity):
    value: PositiveFinite


class Probability(Quantity):
    value: UnitInterval


class ProbabilityTable(_Provenance, Generic[Key]):
    """Probabilities over a closed set of outcomes; they must sum to 1 (missing keys are 0)."""

    value: dict[Key, UnitInterval]
    range: dict[Key, Bounds] | None = None

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
    range: dict[Key, Bounds] | None = None


class PositiveByKey(_EveryKey, Generic[Key]):
    """A positive number for each key of a closed set; all keys required."""

    value: dict[Key, PositiveFinite]
    range: dict[Key, Bounds] | None = None


class CountByYear(_Provenance):
    """Counts by calendar year, e.g. the ONS mid-year population."""

    value: dict[Year, PositiveFinite]
    range: Bounds | None = None


class _Section(BaseModel):
    """A scenario section: every parameter in it is checked against its plausibility bounds."""

    model_config = _STRICT

    @field_validator("*", mode="after")
    @classmethod
    def _plausible(cls, found, info: ValidationInfo):
        # Parameters, and tables of them (an intervention's levers, keyed by the parameter moved).
        items = found.items() if isinstance(found, dict) else [(None, found)]
        for key, item in items:
            if isinstance(item, _Provenance):
                expected = plausibility.check(info.field_name, item.value)
                if expected:
                    raise ValueError(f"{key}: {expected}" if key is not None else expected)
        return found

    @model_validator(mode="after")
    def _plausible_together(self):
        values = {name: getattr(self, name).value for name in type(self).model_fields
                  if isinstance(getattr(self, name), Quantity)}
        expected = plausibility.check_lognormal_means(values)
        if expected:
            raise ValueError(expected)
        return self
