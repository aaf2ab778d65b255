"""The output contract: names other tools read, and the validator every run folder must pass."""

import json
from datetime import date

import pandas as pd
import pytest
from runner_fakes import make_run

from simulation.records import contract


@pytest.mark.unit
def test_registry_holds_the_design_names_and_their_expansions():
    """Report and notebook code may rely on every name in design.md section 3 being registered."""
    expected = ["referrals", "rereferral_pct", "children_in_need", "cin_plans_open", "cla",
                "cp_second_or_subsequent_pct", "sw_agency_pct", "foster_beds_occupied",
                "cla_ceased_sgo_cao", "cla_ceased_age_18", "cla_placement_foster_ifa",
                "cla_placement_placed_for_adoption", "spend_placements_residential_gbp",
                "spend_staff_agency_gbp", "spend_total_gbp"]
    missing = [name for name in expected if not contract.is_known_kpi(name)]
    assert not missing, f"KPI names missing from the registry: {missing}"
    assert not contract.is_known_kpi("cla_count"), "an unlisted name must not be accepted"
    assert len(contract.PLACEMENT_TYPES) == 8, f"got {contract.PLACEMENT_TYPES}"


@pytest.mark.unit
def test_every_registered_kpi_has_a_meaning_and_a_domain_style_name():
    """Names are snake_case with no numeric prefixes; each says what it measures."""
    for name, meaning in contract.KPIS.items():
        assert name == name.lower() and not name[0].isdigit() and " " not in name, \
            f"KPI name {name!r} is not snake_case without a numeric prefix"
        assert meaning.split(":")[0] in {"stock", "flow", "pct", "rate", "ratio"}, \
            f"KPI {name!r} meaning should start with its kind, got {meaning!r}"


@pytest.mark.unit
@pytest.mark.parametrize("day, label", [
    (date(2023, 4, 1), "FY2023-24"), (date(2024, 3, 31), "FY2023-24"),
    (date(2024, 4, 1), "FY2024-25"), (date(2099, 12, 31), "FY2099-00"),
])
def test_financial_year_labels_run_april_to_march(day, label):
    """Annual KPIs are keyed by English financial year, April to March."""
    assert contract.financial_year_label(day) == label, \
        f"{day}: expected {label}, got {contract.financial_year_label(day)}"


@pytest.mark.unit
@pytest.mark.parametrize("text, ok", [
    ("2024-03-31", True), ("2024-02-29", True), ("2023-02-28", True), ("2023-02-29", False),
    ("2024-03-30", False), ("2024-3-31", False), ("31/03/2024", False), ("FY2023-24", False),
])
def test_month_end_labels_are_iso_dates_on_the_last_day(text, ok):
    """kpis_monthly.csv periods are ISO month ends such as 2024-03-31."""
    assert contract.is_month_end(text) is ok, f"is_month_end({text!r}) should be {ok}"


@pytest.mark.unit
@pytest.mark.parametrize("text, ok", [
    ("FY2023-24", True), ("FY1999-00", True), ("FY2023-25", False), ("2023-24", False),
    ("FY23-24", False),
])
def test_financial_year_format(text, ok):
    """kpis_annual.csv periods look like FY2023-24 with consecutive years."""
    assert contract.is_financial_year(text) is ok, f"is_financial_year({text!r}) should be {ok}"


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    """One run folder written by the runner with the fake model."""
    folder = tmp_path_factory.mktemp("contract") / "run"
    make_run(folder)
    return folder


@pytest.mark.unit
def test_a_runner_folder_meets_the_contract(good_run):
    """Every run the runner writes must pass the validator (the CLI reports any problem)."""
    problems = contract.validate_run_folder(good_run)
    assert problems == [], f"expected no problems, got {problems}"


def _rewrite_csv(path, change):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame).to_csv(path, index=False)


def _set(column, row, value):
    def change(frame):
        frame.loc[row, column] = value
        return frame
    return change


TAMPERING = [
    ("missing file", lambda f: (f / "kpis_annual.csv").unlink(), "kpis_annual.csv: missing"),
    ("columns out of order",
     lambda f: _rewrite_csv(f / "kpis_monthly.csv", lambda d: d[["scenario", "replication", "kpi",
                                                                 "month_end", "value"]]),
     "kpis_monthly.csv: columns are"),
    ("unknown KPI", lambda f: _rewrite_csv(f / "kpis_monthly.csv", _set("kpi", 0, "cla_count")),
     "not in the contract registry: 'cla_count'"),
    ("month end not a month end",
     lambda f: _rewrite_csv(f / "kpis_monthly.csv", _set("month_end", 0, "2024-03-30")),
     "kpis_monthly.csv: month_end values are not month-end ISO dates"),
    ("financial year malformed",
     lambda f: _rewrite_csv(f / "kpis_annual.csv", _set("financial_year", 0, "2023/24")),
     "kpis_annual.csv: financial_year values are not financial years"),
    ("summary period malformed",
     lambda f: _rewrite_csv(f / "kpis_summary.csv", _set("period", 0, "March 2024")),
     "kpis_summary.csv: period values are not"),
    ("NaN in summary where n > 0",
     lambda f: _rewrite_csv(f / "kpis_summary.csv", _set("ci95_low", 0, "")),
     "kpis_summary.csv: ci95_low is missing where n > 0"),
    ("manifest key missing",
     lambda f: (f / "manifest.json").write_text(json.dumps(
         {k: v for k, v in json.loads((f / "manifest.json").read_text()).items() if k != "seed"})),
     "manifest.json: keys missing: seed"),
    ("manifest not JSON", lambda f: (f / "manifest.json").write_text("{"),
     "manifest.json: not valid JSON"),
]


@pytest.mark.unit
@pytest.mark.parametrize("what, tamper, message", TAMPERING, ids=[t[0] for t in TAMPERING])
def test_a_tampered_folder_fails_with_a_clear_message(good_run, tmp_path, what, tamper, message):
    """A broken run folder is caught, and the message names the file and the problem."""
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(good_run, folder)
    tamper(folder)
    problems = contract.validate_run_folder(folder)
    assert any(message in problem for problem in problems), \
        f"{what}: expected a problem containing {message!r}, got {problems}"
    assert all("\n" not in problem for problem in problems), "problems must be one line each"


@pytest.mark.unit
def test_missing_values_are_allowed_where_no_replication_had_a_value(good_run):
    """A KPI with no value in a month (n = 0) is not a problem; the fake run has such rows."""
    summary = pd.read_csv(good_run / "kpis_summary.csv")
    assert (summary["n"] == 0).any(), "the fake run should include a KPI missing in one month"
    assert contract.validate_run_folder(good_run) == [], "n = 0 rows with NaN must pass"


@pytest.mark.unit
def test_a_folder_that_is_not_there_is_reported(tmp_path):
    """Validating a wrong path gives a problem, not an exception."""
    problems = contract.validate_run_folder(tmp_path / "nowhere")
    assert problems and "not a folder" in problems[0], f"got {problems}"
