"""One description of a scenario, from every lever it pulls, whatever section the lever lives in.

The report, the slides, the workbook and the console all say what a scenario does from
``describe(scenario, baseline)``, so they cannot disagree, and a lever cannot go unstated: the
list of levers is derived from the data (every parameter whose value differs from the baseline's,
and every intervention item), never from a hand-kept list. Families (``FAMILIES``) only group the
parameters of one lever (the fee uplift's percentage, start and phase-in) and give it words; a
parameter no family claims is still described, as a lever of its own.

Each lever says what changes, from when, how fast, what it costs, what must be true (its effect
parameters, with their evidence and range) and the evidence for every setting. Evidence written
"as scenarios/<file>.toml" is followed to that file (a scenario of the same name given in
``pool``, or the file in ``scenarios/``), so a package quotes its parts' evidence.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from simulation.scenario import lever_effects
from simulation.scenario.labels import (
    FAMILIES,
    NOT_LEVERS,
    SECTION_GROUPS,
    TARGET_WORDS,
    format_value,
    label_of,
    money_words,
)

_AS_FILE = re.compile(r"^as (?:in )?scenarios/([A-Za-z0-9_\-]+)\.toml[:,;]?\s*(.*)$", re.S)
STANDARD_FOLDER = Path(__file__).resolve().parents[2] / "scenarios"


@dataclass(frozen=True)
class Setting:
    """One parameter a lever sets: its label, value and baseline in words, evidence and range."""

    path: str
    label: str
    value: str
    baseline: str
    evidence: str
    range: str
    is_effect: bool = False  # drawn per replication from its range (lever uncertainty)


@dataclass(frozen=True)
class Lever:
    """One lever of a scenario in words."""

    key: str
    title: str
    group: str
    what: str
    start: str
    phase_in: str
    cost: str
    must_be_true: tuple[str, ...]
    settings: tuple[Setting, ...]

    @property
    def parameters(self) -> set[str]:
        return {setting.path for setting in self.settings}


@dataclass(frozen=True)
class Description:
    """Every lever of one scenario against the baseline."""

    name: str
    title: str
    summary: str
    levers: tuple[Lever, ...]

    @property
    def groups(self) -> list[str]:
        """What the scenario acts on, in the order of its levers, each once."""
        return list(dict.fromkeys(lever.group for lever in self.levers))

    @property
    def lever_keys(self) -> set[str]:
        return {lever.key for lever in self.levers}

    @property
    def parameters(self) -> set[str]:
        return set().union(*(lever.parameters for lever in self.levers)) if self.levers else set()


def title_of(name: str) -> str:
    """"combined_package" -> "Combined package"."""
    return name.replace("_", " ").replace("-", " ").capitalize()


# --- what differs ---------------------------------------------------------------------------------
def _is_parameter(node) -> bool:
    return isinstance(node, dict) and "value" in node and ("source" in node or "assumption" in node)


def _leaves(node, prefix: str = "") -> dict[str, object]:
    found = {}
    for key, child in node.items():
        path = f"{prefix}{key}"
        if path == "interventions.items" or path in NOT_LEVERS:
            continue
        if _is_parameter(child) or not isinstance(child, dict):
            found[path] = child
        else:
            found |= _leaves(child, f"{path}.")
    return found


def _value(node):
    return node["value"] if _is_parameter(node) else node


def _items(data: dict) -> dict:
    return (data.get("interventions") or {}).get("items") or {}


def changed_parameters(scenario, baseline) -> set[str]:
    """Every parameter (dotted path) whose value differs from the baseline's, and every
    intervention item (``interventions.items.<name>``) the baseline does not have as it is."""
    mine, base = scenario.model_dump(), baseline.model_dump()
    ours, theirs = _leaves(mine), _leaves(base)
    changed = {path for path, node in ours.items()
               if path not in theirs or _value(node) != _value(theirs[path])}
    changed |= {path for path in theirs if path not in ours}
    base_items = _items(base)
    changed |= {f"interventions.items.{name}" for name, item in _items(mine).items()
                if base_items.get(name) != item}
    return changed


# --- evidence ------------------------------------------------------------------------------------
def lookup(data: dict, path: str):
    """The node at dotted ``path`` in a scenario's tables, or None where there is none; a
    lever's target after ``.levers.`` is one key (it is itself a dotted name)."""
    if ".levers." in path:  # a lever's target is itself a dotted name
        head, target = path.split(".levers.", 1)
        levers = (lookup(data, head) or {}).get("levers") or {}
        return levers.get(target)
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


class _Evidence:
    """Evidence in words, following "as scenarios/<file>.toml" to that file."""

    def __init__(self, pool):
        self.pool = {scenario.name: scenario.model_dump() for scenario in pool}

    def _file(self, name: str):
        if name not in self.pool:
            path = STANDARD_FOLDER / f"{name}.toml"
            try:
                from simulation.scenario.loading import load_scenario
                self.pool[name] = load_scenario(path).model_dump() if path.is_file() else None
            except Exception:  # noqa: BLE001 - a file that does not load gives no evidence
                self.pool[name] = None
        return self.pool[name]

    def of(self, node, path: str, depth: int = 0) -> str:
        if not _is_parameter(node):
            return "Assumption: a switch the scenario sets (switches carry no source of their own)"
        if node.get("source"):
            return f"Source: {node['source']}"
        text = str(node.get("assumption") or "none given")
        found = _AS_FILE.match(text)
        if found and depth < 4:
            other = self._file(found.group(1))
            table = lookup(other, path) if other else None
            if _is_parameter(table) and table is not node:
                deeper = self.of(table, path, depth + 1)
                rest = found.group(2).strip(" ()")
                if deeper and not deeper.startswith("Assumption: none"):
                    return f"{deeper} (as in scenarios/{found.group(1)}.toml)" + (
                        f"; here: {rest}" if rest and rest not in deeper else "")
        return f"Assumption: {text}"


def _range(name: str, node) -> str:
    span = node.get("range") if _is_parameter(node) else None
    if not span:
        return ""
    return f"{format_value(name, span[0])} to {format_value(name, span[1])}"


# --- the levers ----------------------------------------------------------------------------------
def _family_of(path: str):
    for key, title, group, prefixes in FAMILIES:
        if any(path.startswith(prefix) or path == prefix for prefix in prefixes):
            return key, title, group
    section = path.split(".", 1)[0]
    title = f"{label_of(section)}: {label_of(path).lower()}" if "." in path else label_of(path)
    return path, title, SECTION_GROUPS.get(section, "other")


def _add_months(start: dt.date, months: float) -> dt.date:
    month = start.month - 1 + int(round(months))
    return dt.date(start.year + month // 12, month % 12 + 1, 1) if start.day == 1 else \
        start + dt.timedelta(days=30.44 * months)


def _phase(months) -> str:
    months = float(months or 0)
    return "in full at once" if months == 0 else f"built up over {months:g} months"


def _when(date: dt.date) -> str:
    return f"from {date:%B %Y}"


class _Describer:
    def __init__(self, scenario, baseline, pool):
        self.scenario, self.baseline = scenario, baseline
        self.data, self.base = scenario.model_dump(), baseline.model_dump()
        self.evidence = _Evidence(pool)
        effects = lever_effects.effect_parameters(scenario.model_dump(mode="json"))
        self.effects = {name for name, _ in effects}

    def value(self, path: str):
        return _value(lookup(self.data, path))

    def setting(self, path: str, table=None) -> Setting:
        table = lookup(self.data, path) if table is None else table
        name = path.rsplit(".", 1)[-1]
        if ".levers." in path:
            name = "multiplier"
        base = lookup(self.base, path)
        return Setting(path, label_of(path) if ".levers." not in path else
                       TARGET_WORDS.get(path.split(".levers.", 1)[1], path).capitalize(),
                       format_value(name, _value(table)),
                       format_value(name, _value(base)) if base is not None else "none",
                       self.evidence.of(table, path), _range(name, table), path in self.effects)

    def must(self, setting: Setting) -> str:
        text = f"{setting.label}: {setting.value}"
        if setting.range:
            text += f" (the evidence allows {setting.range})"
        return f"{text}. {setting.evidence}."

    # an intervention item ------------------------------------------------------------------------
    def item(self, name: str, item: dict) -> Lever:
        prefix = f"interventions.items.{name}"
        settings = [self.setting(f"{prefix}.levers.{target}") for target in item.get("levers", {})]
        changes = []
        for target, table in item.get("levers", {}).items():
            change = 100 * (table["value"] - 1)
            changes.append(f"{TARGET_WORDS.get(target, label_of(target).lower())} "
                           f"{'rise' if change > 0 else 'fall'} by {abs(change):.0f}%")
        what = item["description"].rstrip(".") + "."
        if changes:
            what += " Effect: " + "; ".join(changes) + "."
        cost_table = item["annual_cost_gbp"]
        settings.append(self.setting(f"{prefix}.annual_cost_gbp", cost_table))
        cost = self._item_cost(item, cost_table)
        groups = {SECTION_GROUPS.get(target.split(".")[0], "other") for target in item.get("levers", {})}
        group = groups.pop() if len(groups) == 1 else ("front_door" if not groups else "other")
        return Lever(prefix, title_of(name), group, what, _when(item["start_date"]),
                     _phase(item["phase_in_months"]), cost,
                     tuple(self.must(s) for s in settings if s.is_effect or ".levers." in s.path),
                     tuple(settings))

    def _item_cost(self, item: dict, table: dict) -> str:
        parts = []
        if table["value"] > 0:
            text = f"about {money_words(table['value'])} a year"
            if table.get("range"):
                text += f" ({money_words(table['range'][0])} to {money_words(table['range'][1])})"
            text += f" from {item['start_date']:%B %Y}"
            if item.get("cost_end_date"):
                text += f" until {item['cost_end_date']:%B %Y}"
            parts.append(text)
        capacity = item.get("levers", {}).get("early_help.capacity_families")
        if capacity:
            places = self.value("early_help.capacity_families")
            unit = self.value("interventions.early_help_cost_per_family_year_gbp") or 0
            extra = places * (capacity["value"] - 1)
            parts.append(f"{extra:,.0f} more places at {money_words(unit)} a place a year: about "
                         f"{money_words(extra * unit)} a year on the early help line")
        return "; ".join(parts) or "no cost of its own"

    # a family of parameters ----------------------------------------------------------------------
    def family(self, key: str, title: str, group: str, paths: list[str]) -> Lever:
        prefixes = next((f[3] for f in FAMILIES if f[0] == key), (key,))
        members = [p for p in _leaves(self.data) if any(p.startswith(x) or p == x for x in prefixes)]
        # Every parameter of the lever, changed or not (its start date may be the baseline's).
        shown = members + [p for p in paths if p not in members]
        settings = tuple(self.setting(p) for p in shown)
        get = self.value
        start, phase = _when(self.scenario.start_date) + " (the start of the run)", _phase(0)
        what = "; ".join(f"{s.label.lower()} {s.value} (baseline {s.baseline})" for s in settings
                         if s.path in paths)
        cost = "no cost of its own"
        if key == "fee_uplift":
            start = _when(_add_months(self.scenario.start_date, get("fostering.fee_uplift_starts_after_months")))
            phase = _phase(get("fostering.fee_uplift_phase_in_months"))
            pct = get("fostering.fee_uplift_pct")
            what = (f"Fees and allowances of the council's own foster carers (and connected carers) up "
                    f"{pct:g}% in real terms, so that more people apply and fewer carers leave.")
            cost = f"{pct:g}% more on every in-house and kinship fee and allowance paid"
        elif key == "carer_support":
            start = _when(_add_months(self.scenario.start_date, get("fostering.support_starts_after_months")))
            what = (f"More support for foster carers: deregistrations "
                    f"{get('fostering.support_deregistration_reduction_pct'):g}% lower.")
            cost = format_value("support_extra_cost_per_household_per_year_gbp",
                                get("fostering.support_extra_cost_per_household_per_year_gbp"))
        elif key == "step_down":
            start = _when(get("placement_market.step_down_start_date"))
            phase = _phase(get("placement_market.step_down_phase_in_months"))
            what = (f"Children under 16 who have been in a children's home for "
                    f"{get('placement_market.step_down_after_days'):g} days move to the council's own "
                    f"foster carers when ready ({format_value('p_prob', get('placement_market.step_down_ready_prob'))} "
                    f"of them) and a bed is free; the carers get an enhanced fee and wraparound support for "
                    f"{get('placement_market.step_down_enhanced_weeks'):g} weeks; "
                    f"{format_value('p_prob', get('placement_market.step_down_breakdown_prob'))} of moves "
                    "break down and the child returns to a children's home.")
            cost = (f"{money_words(get('placement_market.step_down_enhanced_fee_weekly_gbp'))} enhanced fee and "
                    f"{money_words(get('placement_market.step_down_support_weekly_gbp'))} support a week per child "
                    f"while enhanced, {money_words(get('placement_market.step_down_support_cost_gbp'))} transition "
                    f"support per move, and {money_words(get('placement_market.step_down_programme_cost_gbp_per_year'))} "
                    "a year for the programme")
        elif key.startswith("workforce_levers.") or key in {f[0] for f in FAMILIES if f[2] == "workforce"}:
            start, phase, what, cost = self._workforce(key, start, phase, what)
        return Lever(key, title, group, what[:1].upper() + what[1:], start, phase, cost,
                     tuple(self.must(s) for s in settings if s.is_effect), settings)

    def _workforce(self, key, start, phase, what):
        section = f"workforce_levers.{key}"
        get = lambda name: self.value(f"{section}.{name}")  # noqa: E731
        date = get("start_date") or get("date")
        start = _when(date) if date else start
        phase = _phase(get("phase_in_months")) if get("phase_in_months") is not None else _phase(0)
        salary = self.value("workforce.salary_employed_gbp_per_year") * (1 + self.value("workforce.on_cost_share"))
        cost = "no cost of its own"
        if key == "extra_posts":
            what = f"{get('fte'):g} more permanent case-holding social worker posts, recruited to like any vacancy."
            cost = (f"about {money_words(get('fte') * salary)} a year once filled ({get('fte'):g} FTE at "
                    f"{money_words(salary)} with on-costs), agency cover while vacant, and recruitment per hire")
        elif key == "retention":
            fte = self.value("workforce.employed_fte_at_start")
            cut = 100 * (1 - get("leaving_rate_multiplier"))
            what = (f"A retention payment of {money_words(get('payment_gbp_per_fte_per_year'))} a year per "
                    f"employed FTE, so that {abs(cut):.0f}% {'fewer' if cut >= 0 else 'more'} employed social "
                    "workers leave than in the baseline.")
            cost = (f"about {money_words(fte * get('payment_gbp_per_fte_per_year'))} a year "
                    f"({money_words(get('payment_gbp_per_fte_per_year'))} for each of about {fte:,.0f} employed FTE)")
        elif key == "faster_recruitment":
            what = (f"Extra recruitment effort: the chance a campaign fills a post becomes "
                    f"{format_value('p_prob', get('success_prob'))}.")
            cost = format_value("cost_gbp_per_year", get("cost_gbp_per_year"))
        elif key == "agency_cap":
            what = f"Agency cover capped at {format_value('p_prob', get('share_of_establishment'))} of the establishment."
        elif key == "asye_places":
            what = f"{get('extra_per_year'):g} more newly qualified social workers a year."
        elif key == "shock":
            what = (f"{format_value('p_prob', get('permanent_leavers_share'))} of permanent social workers leave "
                    "at once (a stress test, not a proposal).")
        return start, phase, what, cost


def describe(scenario, baseline, pool=()) -> Description:
    """Every lever ``scenario`` pulls against ``baseline``, in words (see the module's notes).

    ``pool``: other scenarios (the comparison's) whose evidence "as scenarios/<name>.toml" may cite.
    """
    describer = _Describer(scenario, baseline, list(pool) + [scenario, baseline])
    changed = changed_parameters(scenario, baseline)
    levers: list[Lever] = []
    for name, item in _items(describer.data).items():
        if f"interventions.items.{name}" in changed:
            levers.append(describer.item(name, item))
    families: dict[str, tuple[str, str, list[str]]] = {}
    for path in sorted(p for p in changed if not p.startswith("interventions.items.")):
        key, title, group = _family_of(path)
        families.setdefault(key, (title, group, []))[2].append(path)
    for key, (title, group, paths) in families.items():
        levers.append(describer.family(key, title, group, paths))
    summary = scenario.description if levers else "No change from the baseline."
    return Description(scenario.name, title_of(scenario.name), summary, tuple(levers))


def unstated(description: Description, scenario, baseline) -> set[str]:
    """Parameters the scenario changes that its description leaves out (should be none)."""
    stated = description.parameters | {lever.key for lever in description.levers}
    return {path for path in changed_parameters(scenario, baseline)
            if path not in stated and not any(path.startswith(f"{key}.") for key in stated)}


__all__ = ["Description", "Lever", "Setting", "changed_parameters", "describe", "lookup",
           "title_of", "unstated"]
