"""Named random streams: stable, by name, and independent of one another.

Users rely on a (seed, replication) giving the same numbers on any machine and in any process,
and on one purpose's draws never moving when another purpose or stream is added, which is what
makes scenario comparisons paired (common random numbers).
"""

import json
import os
import subprocess
import sys
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.records import streams
from simulation.records.streams import EPISODE_SLOTS, STREAM_NAMES, Streams

#: First two draws of each named stream for seed 1, replication 0, computed once (regression guard:
#: if these change, every published result changes; regenerate only on purpose, with a note).
#: Regenerated once on purpose: the entropy now carries the count of sub-stream words (so a named
#: stream and its own sub-streams never coincide) and episode blocks have a fixed width of 64.
EXPECTED_FIRST_DRAWS = {
    "referral.arrivals": [0.9824352282730612, 0.12407858159359675],
    "early_help.arrivals": [0.36182563918922706, 0.7008022416400765],
    "care.direct_arrivals": [0.884986618292854, 0.8182971578675403],
    "child.care_journey": [0.782174920139143, 0.6864854834092279],
    "initial.stock": [0.6861462312415729, 0.9935345394327741],
}
#: Episode draws of seed 1, replication 0: (child, episode, purpose) -> first draw.
EXPECTED_EPISODE_DRAWS = {
    (0, 0, "age"): 0.9555660079634756,
    (0, 0, "s47"): 0.24668582694345043,
    (1500, 1, "age"): 0.6882830315983987,
    (1500, 1, "cin_end"): 0.3920583884248192,
    (7, 5, "age"): 0.5962597565071355,  # episode past the block: per-child generator
}
EXPECTED_CARE_JOURNEY = [0.8975037021304527, 0.49385905389754425]  # child 10000003, care episode 1

PROBE = """
import json
from simulation.records.streams import Streams
s = Streams(1, 0)
out = {name: s.get(name).random(2).tolist() for name in %r}
out["episode"] = [s.episode_block(c, e).uniform(p) for c, e, p in %r]
out["care"] = s.child_generator("child.care_journey", 10000003, 1).random(2).tolist()
print(json.dumps(out))
"""


def current_draws():
    s = Streams(1, 0)
    out = {name: s.get(name).random(2).tolist() for name in EXPECTED_FIRST_DRAWS}
    out["episode"] = [s.episode_block(c, e).uniform(p) for c, e, p in EXPECTED_EPISODE_DRAWS]
    out["care"] = s.child_generator("child.care_journey", 10000003, 1).random(2).tolist()
    return out


@pytest.mark.unit
def test_first_draws_match_the_recorded_values():
    """Seed 1, replication 0 gives the recorded first draws of every named stream, of episode
    blocks (inside and past the bulk block) and of a child's care journey."""
    draws = current_draws()
    for name, expected in EXPECTED_FIRST_DRAWS.items():
        assert draws[name] == expected, f"{name}: expected {expected}, observed {draws[name]}"
    assert draws["episode"] == list(EXPECTED_EPISODE_DRAWS.values()), (
        f"episode draws: expected {list(EXPECTED_EPISODE_DRAWS.values())}, observed {draws['episode']}")
    assert draws["care"] == EXPECTED_CARE_JOURNEY, f"care journey: expected {EXPECTED_CARE_JOURNEY}, observed {draws['care']}"


@pytest.mark.unit
def test_draws_are_the_same_in_a_fresh_process():
    """A new Python process (fresh hash seed, nothing cached) derives the same draws: streams do
    not depend on ``hash()``, import order or process state."""
    code = PROBE % (list(EXPECTED_FIRST_DRAWS), list(EXPECTED_EPISODE_DRAWS))
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert json.loads(output.stdout) == current_draws(), "draws differ between processes"


@pytest.mark.unit
def test_unknown_stream_names_are_rejected():
    """Asking for a stream that is not registered is an error naming it, not a silent new stream."""
    s = Streams(1, 0)
    with pytest.raises(KeyError, match="referral.arrivalz"):
        s.get("referral.arrivalz")
    with pytest.raises(KeyError, match="child.carejourney"):
        s.child_generator("child.carejourney", 1, 1)


@pytest.mark.unit
def test_registered_names_have_distinct_crc32_keys():
    """No two registered stream names share a crc32 key (which would make them the same stream)."""
    keys = [zlib.crc32(name.encode()) for name in STREAM_NAMES]
    assert len(set(keys)) == len(keys), f"crc32 collision among {STREAM_NAMES}: {keys}"
    assert len(set(STREAM_NAMES)) == len(STREAM_NAMES), "a stream name is registered twice"


@pytest.mark.unit
def test_streams_differ_by_name_seed_and_replication():
    """Each named stream, seed and replication gives its own numbers."""
    firsts = {(seed, rep, name): Streams(seed, rep).get(name).random()
              for seed in (1, 2) for rep in (0, 1) for name in STREAM_NAMES}
    assert len(set(firsts.values())) == len(firsts), "two (seed, replication, stream) triples share draws"


@pytest.mark.unit
def test_the_generators_the_model_uses_are_distinct():
    """The generators the model asks for (named streams, episode chunks, per-child care journeys,
    episodes past the block, overflow draws) never coincide."""
    s = Streams(3, 1)
    first = {}
    for name in ("referral.arrivals", "early_help.arrivals", "care.direct_arrivals", "initial.stock"):
        first[("get", name)] = s.get(name).random()
    for chunk in (0, 1, 2):
        first[("chunk", chunk)] = s.episode_block(chunk * streams.CHUNK_CHILDREN, 0).uniform("age")
    for child, episode in ((0, 1), (0, 2), (1, 1), (1024, 1)):
        first[("care", child, episode)] = s.child_generator("child.care_journey", child, episode).random()
    for child, episode in ((0, 3), (5, 4)):
        first[("late episode", child, episode)] = s.episode_block(child, episode).uniform("age")
    draws = s.episode_block(9, 0)
    for _ in range(EPISODE_SLOTS["icpc"]):
        draws.uniform("icpc")
    first[("overflow", 9, 0)] = draws.uniform("icpc")
    values = list(first.values())
    assert len(set(values)) == len(values), f"two generators coincide: {first}"


@pytest.mark.unit
def test_a_named_stream_never_coincides_with_its_own_sub_streams():
    """``get(name)`` and the sub-streams keyed under the same name (episode chunk 0, a child
    generator for child 0) are different streams, so a later use of ``get`` cannot replay them."""
    s = Streams(1, 0)
    named = s.get("child.episode_draws").random()
    chunk_zero = s.episode_block(0, 0).uniform("age")
    assert named != chunk_zero, f"get('child.episode_draws') and chunk 0 both start {named}"


@pytest.mark.unit
def test_a_purpose_over_its_slots_still_draws_deterministically():
    """A purpose used more often than its slots (a long loop) draws from a per-child overflow
    generator: the same (seed, replication, child, episode) gives the same extra draws."""
    def extra_draws():
        draws = Streams(1, 0).episode_block(42, 1)
        return [draws.uniform("cin_end") for _ in range(EPISODE_SLOTS["cin_end"] + 3)]
    first, second = extra_draws(), extra_draws()
    assert first == second, f"overflow draws differ: {first} vs {second}"
    assert len(set(first)) == len(first), f"overflow repeats a slot draw: {first}"


def with_extra_purpose(monkeypatch, name="new_purpose", count=2):
    """Patch ``streams`` as if a purpose had been appended to EPISODE_SLOTS in the source."""
    slots = {**EPISODE_SLOTS, name: count}
    starts, offset = {}, 0
    for purpose, n in slots.items():
        starts[purpose] = offset
        offset += n
    monkeypatch.setattr(streams, "EPISODE_SLOTS", slots)
    monkeypatch.setattr(streams, "_SLOT_START", starts)
    # The tables streams derives from EPISODE_SLOTS at import, as a real edit would rebuild them.
    monkeypatch.setattr(streams, "_SLOTS", {purpose: (starts[purpose], n) for purpose, n in slots.items()})
    # DRAWS_PER_EPISODE is a fixed reservation, not the slots in use: appending leaves it alone.
    assert offset <= streams.DRAWS_PER_EPISODE, "the appended purpose no longer fits the reserved block"


def all_purpose_draws(child, episode):
    draws = Streams(1, 0).episode_block(child, episode)
    return {purpose: [draws.uniform(purpose) for _ in range(n)] for purpose, n in EPISODE_SLOTS.items()}


@pytest.mark.unit
def test_appending_a_purpose_keeps_the_slot_offsets_of_existing_purposes(monkeypatch):
    """Slots are laid out in declaration order, so a purpose appended at the end leaves every
    existing purpose at the same offset (and the first child's first episode unchanged)."""
    before_starts = dict(streams._SLOT_START)
    before = all_purpose_draws(0, 0)
    with_extra_purpose(monkeypatch)
    after_starts = {p: streams._SLOT_START[p] for p in before_starts}
    assert after_starts == before_starts, f"offsets moved: {before_starts} -> {after_starts}"
    assert all_purpose_draws(0, 0) == before, "child 0, episode 0 draws changed when a purpose was appended"


@pytest.mark.unit
def test_appending_a_purpose_keeps_every_childs_existing_draws(monkeypatch):
    """Adding a purpose (at the end) never changes the draws existing purposes give any child, so
    a model change that needs a new kind of draw does not reshuffle every child's journey."""
    before = {key: all_purpose_draws(*key) for key in ((5, 0), (5, 1), (2000, 2))}
    with_extra_purpose(monkeypatch)
    after = {key: all_purpose_draws(*key) for key in before}
    changed = [key for key in before if before[key] != after[key]]
    assert not changed, f"appending a purpose changed the draws of (child, episode) {changed}"


@pytest.mark.unit
def test_episode_draws_are_uniform():
    """Episode-block draws look Uniform(0, 1): the mean of 100,000 is within 4 standard errors of 0.5."""
    s = Streams(11, 0)
    values = np.array([s.episode_block(child, 0).uniform("s47") for child in range(100_000)])
    se = np.sqrt(1 / 12 / len(values))
    assert abs(values.mean() - 0.5) < 4 * se, f"mean {values.mean():.5f}, expected 0.5 +- {4 * se:.5f}"


# --- bulk seeding of the care streams ----------------------------------------------------------
_WORD = st.integers(min_value=0, max_value=2**32 - 1)


@pytest.mark.unit
@settings(max_examples=60, deadline=None)
@given(prefix=st.lists(_WORD, min_size=4, max_size=4),
       rows=st.lists(st.lists(_WORD, min_size=2, max_size=2), min_size=1, max_size=8))
def test_bulk_seeding_is_numpys_seed_sequence_word_for_word(prefix, rows):
    """``_seed_states`` is a copy of numpy's SeedSequence arithmetic: any drift (or a numpy that
    changed its algorithm) shows here, for any words, not only the model's."""
    words = np.array(rows, dtype=np.uint32)
    got = streams._seed_states(streams._mixed_pool(prefix), words)
    want = np.array([np.random.SeedSequence(np.array(prefix + row, dtype=np.uint32))
                     .generate_state(4, np.uint64) for row in rows])
    assert got.dtype == np.uint64 and got.flags.c_contiguous
    np.testing.assert_array_equal(got, want)


@pytest.mark.unit
@pytest.mark.parametrize("name", sorted(streams._BULK_SEEDED))
def test_bulk_seeded_care_generators_draw_what_numpy_seeding_draws(name):
    """The generators seeded in bulk (care episodes, vacancies) give the same numbers as
    ``default_rng`` of their sequence, across chunk edges, for the episodes seeded in bulk and
    those that are not."""
    s = Streams(20230401, 7)
    for child in (0, 1, 1023, 1024, 2047, 5000, 10000003):
        for episode in (0, 1, 2, 3):
            bulk = s.child_generator(name, child, episode)
            plain = np.random.default_rng(s._sequence(name, child, episode))
            np.testing.assert_array_equal(bulk.random(5), plain.random(5))
            assert bulk.exponential(2.0) == plain.exponential(2.0)
    # A seed past 32 bits takes numpy's path, and still matches it.
    big = Streams(2**40 + 3, 1)
    np.testing.assert_array_equal(big.child_generator(name, 5, 1).random(3),
                                  np.random.default_rng(big._sequence(name, 5, 1)).random(3))


@pytest.mark.property
@settings(max_examples=40, deadline=None)
@given(kept=st.integers(1, 4),
       reads=st.lists(st.tuples(st.integers(0, 9 * streams.CHUNK_CHILDREN), st.integers(0, 2),
                                st.sampled_from(sorted(EPISODE_SLOTS))), min_size=1, max_size=60))
def test_chunks_let_go_give_the_same_draws(kept, reads):
    """A large authority keeps only the newest chunks of episode draws; a block read after its
    chunk was let go (drawn from the chunk's generator, advanced) or handed out as a copy gives
    the numbers a replication keeping every chunk gives, and so do the threshold lever's reads."""
    everything = Streams(11, 3)
    bounded = Streams(11, 3)
    bounded.chunks_kept = kept
    ids = np.array([child for child, _, _ in reads])
    assert np.array_equal(bounded.first_episode_uniforms(ids, "need"),
                          everything.first_episode_uniforms(ids, "need"))
    for child, episode, purpose in reads:
        expected, block = everything.episode_block(child, episode), bounded.episode_block(child, episode)
        for _ in range(EPISODE_SLOTS[purpose] + 1):  # one past its slots: the overflow generator
            assert block.uniform(purpose) == expected.uniform(purpose), (child, episode, purpose)
    assert len(bounded._chunks) <= kept
