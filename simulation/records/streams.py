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
from numpy.random.bit_generator import ISeedSequence

#: Every stream the model may ask for. A test rejects unknown names and crc32 collisions.
STREAM_NAMES: tuple[str, ...] = (
    "referral.arrivals",
    "early_help.arrivals",
    "care.direct_arrivals",
    "child.episode_draws",
    "child.care_journey",
    "initial.stock",
    # Levers on arrival rates (simulation.engine.levers): thinning uniforms and extra arrivals.
    "referral.lever_thinning",
    "referral.lever_extra_arrivals",
    "early_help.lever_thinning",
    "early_help.lever_extra_arrivals",
    "placement.search",
    "fostering.recruitment",
    "fostering.household",
    "workforce.post",
    "workforce.worker",
    # Which calibrated parameter set a replication uses (simulation.scenario.parameter_sets).
    "calibration.parameter_set",
    # A step-down's breakdown back to a children's home (engine.care), per child and episode.
    "placement.step_down",
    # Each lever effect's draw for a replication (simulation.scenario.lever_effects), keyed by
    # the parameter's name so it is the same in every scenario compared (common random numbers).
    "lever.effect",
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
    # The child's need (``engine.need``): read from the first episode's block only, so it is the
    # child's own for life; later episodes draw whether it decides their outcome, and the
    # circumstances that decide it when it does not.
    "need": 1,
    "need_applies": 1,
    "circumstances": 1,
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
#: Chunks of episode draws kept at once (1.5 MB each). A Southend replication makes about 17, so
#: it never lets one go; a 16 times larger authority makes about 210 (over 300 MB), so it keeps
#: the newest (arrivals are numbered in time order) and reads a block of a chunk it let go
#: straight from the chunk's generator (the same numbers; about 7,000 blocks a replication there).
CHUNKS_KEPT = 32
_UINT32_MAX = 2**32 - 1

#: Per-child streams whose generators are seeded in bulk, a chunk of ``CHUNK_CHILDREN`` ids at a
#: time (see ``_seed_states``), and the episodes seeded so. The two every care episode asks for
#: (about 1,700 of a replication's 2,800 per-child generators; children's ids are dense, so a chunk
#: serves about 50 care episodes; a third care episode is rare) and social work posts' vacancies
#: (about 290, ids 0 to a few hundred). Sparse ids (workers, households) and rare episodes keep
#: numpy's per-call path, which a chunk would not repay.
_BULK_SEEDED: dict[str, range] = {
    "child.care_journey": range(1, 3),
    "placement.search": range(1, 3),
    "workforce.post": range(0, 3),
}


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
        self._chunks: dict[int, memoryview] = {}
        # Chunks dropped from ``_chunks`` to bound memory (with their generators' first states),
        # and whether any has been: from then on a block is handed out as a copy of its draws.
        self._let_go: dict[int, dict] = {}
        self._copying, self._regenerator = False, None
        self.chunks_kept = CHUNKS_KEPT
        # Bulk seeding (``child_generator``) needs the seed and replication as 32-bit words.
        self._bulk_ok = 0 <= self.seed <= _UINT32_MAX and 0 <= self.replication <= _UINT32_MAX
        self._pools: dict[str, np.ndarray] = {}
        self._bulk_states: dict[tuple[str, int, int], np.ndarray] = {}

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
        """A generator of one child's own, for draws that happen after capacity-dependent waits.

        Always ``default_rng(SeedSequence([seed, replication, key(name), 2, child_id, episode]))``;
        for the streams of ``_BULK_SEEDED`` it is built from a state seeded in bulk (the same
        state, to the bit), which costs about a quarter of numpy's per-call seeding (6 us).
        """
        if episode in _BULK_SEEDED.get(name, ()) and 0 <= child_id and self._bulk_ok:
            chunk, row = divmod(child_id, CHUNK_CHILDREN)
            states = self._bulk_states.get((name, episode, chunk))
            if states is None:
                states = self._seed_chunk(name, episode, chunk)
            return np.random.Generator(np.random.PCG64(_SeededState(states[row])))
        return np.random.default_rng(self._sequence(name, child_id, episode))

    def _seed_chunk(self, name: str, episode: int, chunk: int) -> np.ndarray:
        """The PCG64 seeds of (name, child, episode) for the children of ``chunk``, (rows, 4) uint64."""
        pool = self._pools.get(name)
        if pool is None:
            # The words every child of the stream shares, mixed once: seed, replication, name and
            # the count of extra words (two: child and episode).
            pool = self._pools[name] = _mixed_pool([self.seed, self.replication, _key(name), 2])
        first = chunk * CHUNK_CHILDREN
        if first + CHUNK_CHILDREN - 1 > _UINT32_MAX:
            raise ValueError(f"child id {first} is past the 32-bit seeding range")
        words = np.empty((CHUNK_CHILDREN, 2), dtype=np.uint32)
        words[:, 0] = np.arange(first, first + CHUNK_CHILDREN, dtype=np.uint32)
        words[:, 1] = episode
        states = self._bulk_states[(name, episode, chunk)] = _seed_states(pool, words)
        return states

    def episode_block(self, child_id: int, episode: int) -> "EpisodeDraws":
        """The routing draws of a child's referral episode (see ``EPISODE_SLOTS``)."""
        if episode >= EPISODES_PER_CHILD:
            rng = self.child_generator("child.episode_draws", child_id, episode)
            return EpisodeDraws(memoryview(rng.random(DRAWS_PER_EPISODE)), 0, self, child_id, episode)
        chunk, row = divmod(child_id, CHUNK_CHILDREN)
        first = (row * EPISODES_PER_CHILD + episode) * DRAWS_PER_EPISODE
        values = self._chunks.get(chunk)
        if values is None:
            if chunk in self._let_go:
                return EpisodeDraws(self._block_from_generator(chunk, first), 0, self, child_id, episode)
            values = self._episode_chunk(chunk)
        if self._copying:
            copied = memoryview(values[first:first + DRAWS_PER_EPISODE].tobytes()).cast("d")
            return EpisodeDraws(copied, 0, self, child_id, episode)
        return EpisodeDraws(values, first, self, child_id, episode)

    def _episode_chunk(self, chunk: int, keep: bool = True) -> memoryview:
        """The chunk's draws; kept in ``_chunks`` (letting the oldest go past ``chunks_kept``)."""
        rng = np.random.default_rng(self._sequence("child.episode_draws", chunk))
        block = rng.random((CHUNK_CHILDREN, EPISODES_PER_CHILD, DRAWS_PER_EPISODE))
        # A flat view of the chunk: indexing a memoryview of doubles gives a Python float
        # (the same value ``tolist`` would), so a block is an offset into the chunk and no
        # draw is copied until it is used.
        values = memoryview(block.reshape(-1))
        if keep:
            self._chunks[chunk] = values
            if len(self._chunks) > self.chunks_kept:
                oldest = next(iter(self._chunks))
                del self._chunks[oldest]
                self._let_go[oldest] = np.random.PCG64(self._sequence("child.episode_draws", oldest)).state
                self._copying = True
        return values

    def _block_from_generator(self, chunk: int, first: int) -> memoryview:
        """Draws ``first`` to ``first + DRAWS_PER_EPISODE`` of a chunk, without drawing the chunk.

        ``Generator.random`` makes each double from one 64-bit output of PCG64, so advancing the
        chunk's generator by ``first`` outputs lands on the block's first draw. One generator,
        set to the chunk's saved first state (seeding one a block cost 16x about 2%).
        """
        if self._regenerator is None:
            self._regenerator = np.random.Generator(np.random.PCG64(0))
        self._regenerator.bit_generator.state = self._let_go[chunk]
        self._regenerator.bit_generator.advance(first)
        return memoryview(self._regenerator.random(DRAWS_PER_EPISODE))

    def first_episode_uniforms(self, child_ids: np.ndarray, purpose: str) -> np.ndarray:
        """The first draw for ``purpose`` in each child's first episode block, for many children.

        The same numbers ``episode_block(child_id, 0).uniform(purpose)`` gives each child, read in
        numpy: the arrivals' levers rank children by their need before any child exists.
        """
        child_ids = np.asarray(child_ids, dtype=np.int64)
        result = np.empty(len(child_ids))
        if not len(child_ids):
            return result
        chunks, rows = np.divmod(child_ids, CHUNK_CHILDREN)
        offsets = rows * (EPISODES_PER_CHILD * DRAWS_PER_EPISODE) + _SLOTS[purpose][0]
        for chunk in np.unique(chunks).tolist():
            values = self._chunks.get(chunk)
            if values is None:
                # Kept only while there is room: a large authority's arrivals span far more
                # chunks than are kept, and keeping them all now would let go of the first
                # ones before the run reached them.
                values = self._episode_chunk(chunk, keep=len(self._chunks) < self.chunks_kept)
            here = chunks == chunk
            result[here] = np.frombuffer(values, dtype=float)[offsets[here]]
        return result


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


# --------------------------------------------------------------------------- bulk seeding
# numpy's SeedSequence, written with numpy arrays so that the seeds of a thousand children take
# one pass (about 25 us) instead of a thousand calls (about 5 us each). The algorithm and its
# constants are numpy's (numpy/random/bit_generator.pyx: ``mix_entropy``, ``generate_state``;
# numpy keeps SeedSequence's output stable across versions, as its reproducibility policy
# promises). ``tests/test_streams.py`` checks it against ``SeedSequence`` itself, word for word.
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_XSHIFT = np.uint32(16)
_POOL_SIZE = 4  # SeedSequence's default pool, in 32-bit words
_MASK32 = 0xFFFFFFFF


def _hash_constants(start: int, multiplier: int, count: int) -> np.ndarray:
    """The hash constant before each of ``count`` successive hash steps (it only depends on the step)."""
    values, constant = [], start
    for _ in range(count + 1):
        values.append(constant)
        constant = (constant * multiplier) & _MASK32
    return np.array(values, dtype=np.uint32)


#: ``hashmix`` constants in call order: 4 to fill the pool, 12 to mix it, then 4 per extra word.
_HASHMIX = _hash_constants(_INIT_A, _MULT_A, 64)
#: ``generate_state`` constants: one per output word (8 for four 64-bit words).
_OUTPUT = _hash_constants(_INIT_B, _MULT_B, 8)


def _hashmix(values: np.ndarray, step: int | slice) -> np.ndarray:
    """SeedSequence's ``hashmix`` at call number ``step`` (or a run of calls), on uint32 arrays."""
    constant = _HASHMIX[step]
    following = _HASHMIX[step + 1] if isinstance(step, int) else _HASHMIX[step.start + 1:step.stop + 1]
    mixed = (values ^ constant) * following
    return mixed ^ (mixed >> _XSHIFT)


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = np.uint32(_MIX_MULT_L) * x - np.uint32(_MIX_MULT_R) * y
    return result ^ (result >> _XSHIFT)


def _mixed_pool(words: list[int]) -> np.ndarray:
    """SeedSequence's pool after its first ``_POOL_SIZE`` entropy words (exactly four)."""
    if len(words) != _POOL_SIZE:
        raise ValueError(f"the shared pool takes exactly {_POOL_SIZE} words, not {len(words)}")
    pool = _hashmix(np.array(words, dtype=np.uint32), slice(0, _POOL_SIZE))
    step = _POOL_SIZE
    for source in range(_POOL_SIZE):
        for target in range(_POOL_SIZE):
            if source != target:
                pool[target] = _mix(pool[target:target + 1], _hashmix(pool[source:source + 1], step))[0]
                step += 1
    return pool


def _seed_states(pool: np.ndarray, words: np.ndarray) -> np.ndarray:
    """``SeedSequence(prefix + row).generate_state(4, np.uint64)`` for each row of ``words``.

    ``pool`` is ``_mixed_pool(prefix)`` (four words shared by every row); ``words`` is (rows, k)
    uint32, the words after the prefix. Returns (rows, 4) uint64, C-contiguous.
    """
    rows, extra = words.shape
    mixed = np.broadcast_to(pool, (rows, _POOL_SIZE))
    step = _POOL_SIZE + _POOL_SIZE * (_POOL_SIZE - 1)
    for column in range(extra):
        # Each extra word is hashed once per pool word, with successive constants.
        hashed = _hashmix(words[:, column:column + 1], slice(step, step + _POOL_SIZE))
        mixed = _mix(mixed, hashed)
        step += _POOL_SIZE
    # Eight 32-bit output words, cycling over the pool, read as four little-endian 64-bit words.
    cycled = mixed[:, [0, 1, 2, 3, 0, 1, 2, 3]]
    state = (cycled ^ _OUTPUT[:8]) * _OUTPUT[1:9]
    state ^= state >> _XSHIFT
    return np.ascontiguousarray(state).view("<u8")


class _SeededState:
    """A seed sequence whose PCG64 seed was computed in bulk (``_seed_states``).

    numpy's bit generators accept any registered ``ISeedSequence`` and ask it for
    ``generate_state(4, np.uint64)``: this hands over the row already computed.
    """

    __slots__ = ("state",)

    def __init__(self, state: np.ndarray):
        self.state = state

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        if n_words != 4 or np.dtype(dtype) != np.uint64:
            raise ValueError(f"a bulk-seeded state is four uint64 words, not {n_words} of {dtype}")
        return self.state


ISeedSequence.register(_SeededState)
