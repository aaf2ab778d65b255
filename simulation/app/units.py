"""Units, labels and slider steps from parameter names: the scenario wing's ``labels``, which the
scrutiny pack's lever descriptions use too, so the page and the pack name a lever alike."""

from simulation.scenario.labels import LABELS, SUFFIX_UNITS, label_of, nice_step, unit_of

__all__ = ["LABELS", "SUFFIX_UNITS", "label_of", "nice_step", "unit_of"]
