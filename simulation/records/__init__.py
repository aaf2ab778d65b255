"""Records: what a run writes down and what everything else reads.

Holds the event log (one flat record per state change), the named random streams every draw comes
from, the output contract (file, column and KPI names), CSV text, the calendar of financial years
and the published figures the model is compared with.

May import: nothing else in ``simulation`` (it is the foundation every wing stands on).
Imported by: every other wing.
"""
