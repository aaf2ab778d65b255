"""Named random streams derived from (seed, replication, stream name).

Covers
------
* One ``numpy.random.Generator`` per purpose, keyed by the crc32 of its name through numpy's
  documented "sequence of integer seeds" scheme, so adding a stream never moves another's draws
  (the positional-seeding trap of treat-sim and sim-tools).
* Per-child draws for common random numbers: a child's routing uniforms for each of its referral
  episodes come from fixed slots of a block keyed by (child id, episode), drawn in bulk chunks.
  Scenarios therefore see the same children making the same "choices", whatever capacity does to
  the order in which events happen. Care journeys get their own per-child generator, which is
  cheap because few children enter care.
"""

from __future__ import annotations

import zlib

import numpy as np

#: Every stream the model may ask for. A test rejects unknown names and crc32 collisions.
STREAM_NAMES: tuple[str, ...] = (
    "referral.arrivals",
    "early_help.arrivals",
    "care.direct_arrivals",
    "child.episode_draws",
    "child.care_journey",
    "initial.stock",
    # Levers on arrival rates (simulation.levers): thinning uniforms and extra arrivals.
    "referral.lever_thinning",
    "referral.lever_extra_arrivals",
    "early_help.lever_thinning",
    "early_help.lever_extra_arrivals",
    "placement.search",
    "fostering.recruitment",
    "fostering.household",
    "workforce.post",
    "workforce.worker",
    # Which calibrated parameter set a replication uses (simulation.parameter_sets).
    "calibration.parameter_set",
)

#: Slots of a referral-episode block: purpose -> how many draws it may take in one episode.
#: Append new purposes at the end: offsets follow declaration order. A purpose that needs more than its slots (a rare long loop) falls back to a per-child
#: generator, which keeps determinism and common random numbers.
EPISODE_SLOTS: dict[str, int] = {
    "age": 1,
    "prior_cp": 1,
    "nfa_at_referral": 1,
    "s47": 1,
    "assessment_duration": 1,
    "assessment_outcome": 1,
    "icpc": 2,
    "cp_after_icpc": 2,
    "cin_duration": 2,
    "cin_end": 2,
    "cp_early": 2,
    "cp_early_time": 2,
    "cp_reviews": 2,
    "cp_end": 2,
    "rereferral": 1,
    "rereferral_delay": 1,
    "early_help_duration": 2,
    "early_help_escalation": 2,
    "early_help_unserved": 2,
    "early_help_diversion": 1,
}
_SLOT_START: dict[str, int] = {}
_offset = 0
for _purpose, _count in EPISODE_SLOTS.items():
    _SLOT_START[_purpose] = _offset
    _offset += _count
#: purpose -> (first slot, number of slots): one look-up per draw on the hot path.
_SLOTS: dict[str, tuple[int, int]] = {purpose: (_SLOT_START[purpose], count)
                                      for purpose, count in EPISODE_SLOTS.items()}
#: Slots reserved per episode, more than are used, so that a purpose appended to EPISODE_SLOTS
#: leaves every child's existing draws where they were (the block's shape never changes).
DRAWS_PER_EPISODE = 64
if _offset > DRAWS_PER_EPISODE:  # slots in use
    raise RuntimeError(f"EPISODE_SLOTS needs {_offset} draws; raise DRAWS_PER_EPISODE (this reshuffles draws)")
EPISODES_PER_CHILD = 3
CHUNK_CHILDREN = 1024
_UINT32_MAX = 2**32 - 1


def _key(name: str) -> int:
    if name not in STREAM_NAMES:
        raise KeyError(f"unknown random stream {name!r}; register it in STREAM_NAMES")
    return zlib.crc32(name.encode())


class Streams:
    """All random numbers of one replication.

    Parameters
    ----------
    seed
        The run seed.
    replication
        The replication number (0-based).
    """

    def __init__(self, seed: int, replication: int):
        self.seed = int(seed)
        self.replication = int(replication)
        self._generators: dict[str, np.random.Generator] = {}
        self._chunks: dict[int, np.ndarray] = {}

    def _sequence(self, name: str, *extra: int) -> np.random.SeedSequence:
        # The count of extra words is part of the entropy: SeedSequence pads short entropy with
        # zeros, so without it get(name) and a sub-stream keyed (name, 0) would coincide.
        words = [self.seed, self.replication, _key(name), len(extra), *extra]
        if max(words) <= _UINT32_MAX and min(words) >= 0:
            # The same entropy, already as uint32 words: SeedSequence turns a list of ints into
            # words one int at a time in Python (a word each when < 2**32), which made this
            # half the cost of a per-child generator (about 3,000 a replication).
            return np.random.SeedSequence(np.array(words, dtype=np.uint32))
        return np.random.SeedSequence(words)

    def get(self, name: str) -> np.random.Generator:
        """The generator for a named purpose (the same object on every call)."""
        if name not in self._generators:
            self._generators[name] = np.random.default_rng(self._sequence(name))
        return self._generators[name]

    def child_generator(self, name: str, child_id: int, episode: int) -> np.random.Generator:
        """A generator of one child's own, for draws that happen after capacity-dependent waits."""
        return np.random.default_rng(self._sequence(name, child_id, episode))

    def episode_block(self, child_id: int, episode: int) -> "EpisodeDraws":
        """The routing draws of a child's referral episode (see ``EPISODE_SLOTS``)."""
        if episode >= EPISODES_PER_CHILD:
            rng = self.child_generator("child.episode_draws", child_id, episode)
            return EpisodeDraws(memoryview(rng.random(DRAWS_PER_EPISODE)), 0, self, child_id, episode)
        chunk, row = divmod(child_id, CHUNK_CHILDREN)
        values = self._chunks.get(chunk)
        if values is None:
            rng = np.random.default_rng(self._sequence("child.episode_draws", chunk))
            block = rng.random((CHUNK_CHILDREN, EPISODES_PER_CHILD, DRAWS_PER_EPISODE))
            # A flat view of the chunk: indexing a memoryview of doubles gives a Python float
            # (the same value ``tolist`` would), so a block is an offset into the chunk and no
            # draw is copied until it is used.
            values = memoryview(block.reshape(-1))
            self._chunks[chunk] = values
        return EpisodeDraws(values, (row * EPISODES_PER_CHILD + episode) * DRAWS_PER_EPISODE,
                            self, child_id, episode)


class EpisodeDraws:
    """Uniform(0, 1) draws of one referral episode, handed out by purpose.

    ``values[first + slot]`` is the episode's draw in ``slot`` (``values`` a flat view of its
    chunk, shared by 1,024 children).
    """

    __slots__ = ("_values", "_first", "_used", "_streams", "_child_id", "_episode", "_overflow")

    def __init__(self, values: memoryview, first: int, streams: Streams, child_id: int, episode: int):
        self._values = values
        self._first = first
        self._used: dict[str, int] = {}
        self._streams = streams
        self._child_id = child_id
        self._episode = episode
        self._overflow: np.random.Generator | None = None

    def uniform(self, purpose: str) -> float:
        """The next uniform draw for ``purpose`` in this episode."""
        # The hot path (about 120,000 calls a replication). Most purposes are asked for once
        # an episode, so the first use is the short branch: one membership test, one store.
        used_so_far = self._used
        if purpose not in used_so_far:
            used_so_far[purpose] = 1
            return self._values[self._first + _SLOTS[purpose][0]]
        used = used_so_far[purpose]
        used_so_far[purpose] = used + 1
        start, count = _SLOTS[purpose]
        if used < count:
            return self._values[self._first + start + used]
        if self._overflow is None:
            # Offset the episode so overflow draws never coincide with a regular block.
            self._overflow = self._streams.child_generator(
                "child.episode_draws", self._child_id, 1_000_000 + self._episode
            )
        return float(self._overflow.random())
