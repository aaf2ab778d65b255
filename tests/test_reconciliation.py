"""The reconciliation of modelled spend with the RO3 2024-25 outturn, and the bridge."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from simulation.analysis import reconciliation
from simulation.calibration.reconciliation import build
from simulation.records.outturn import RO3_2024_25_GBP_THOUSANDS

from conftest import REPO

SHARED = REPO.parent / "shared" / "data" / "southend_public_figures.csv"


@pytest.mark.calibration
def test_modelled_2024_25_spend_within_10pct_of_the_outturn_on_scope():
    """Four replications of 2024-25: the modelled children looked after total (2024-25 prices,
    staff moved in by their share) is within 10% of the outturn less the bridge's out-of-scope
    items; every RO3 line is reported, the bridge adds up, and the in-house full rate exceeds the
    marginal rate."""
    table, bridge, rates = build(replications=4, workers=1, years_wanted=("FY2024-25",))
    assert reconciliation.within_tolerance(bridge), bridge.to_string()
    lines = set(table["measure"])
    assert {"spend_CLA_residential_care_gross", "spend_CLA_fostering_services_gross", "spend_CLA_other_gross",
            "spend_CLA_total_gross", "spend_agency_staff_memo"} <= lines, lines
    gbp = dict(zip(bridge["item"], bridge["gbp"]))
    in_scope = gbp["Children looked after outturn 2024-25 (RO3, gross)"] + sum(
        value for item, value in gbp.items() if item.startswith("less:"))
    assert gbp["Outturn on the model's scope"] == pytest.approx(in_scope)
    marginal, full = rates.set_index("rate").loc[["marginal", "full"], "weekly_gbp_2023_24"]
    assert full > marginal, (marginal, full)


@pytest.mark.unit
@pytest.mark.skipif(not SHARED.exists(), reason="the shared data file is not beside the repository")
def test_outturn_figures_match_the_shared_data():
    """The RO3 lines copied into the repository are the shared file's, figure for figure."""
    found = {}
    for path in (SHARED,):
        with Path(path).open(newline="") as handle:
            for row in csv.DictReader(handle):
                if row["area"].startswith("Southend") and row["measure"] in RO3_2024_25_GBP_THOUSANDS:
                    found[row["measure"]] = float(row["value"])
    assert found == {k: float(v) for k, v in RO3_2024_25_GBP_THOUSANDS.items()}
