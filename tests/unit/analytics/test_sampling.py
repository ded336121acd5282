"""The customer sample the models are fitted on above the cap: its size, its seed, its hash and its stability."""

import numpy as np

from crm_app.analytics.sampling import _GOLDEN, _splitmix64, customer_sample


def test_the_hash_is_splitmix64_as_published():
    # SplitMix64 seeded with 0 (Vigna's splitmix64.c, Java's SplittableRandom): its first three outputs.
    states = np.array([0, _GOLDEN, 2 * _GOLDEN % 2**64], dtype=np.uint64)
    assert [hex(v) for v in _splitmix64(states)] == ["0xe220a8397b1dcdaf", "0x6e789e6aa1b965f4", "0x6c45d188009454f"]


def test_the_sample_has_exactly_the_size_asked_for_drawn_from_the_ids():
    ids = np.arange(1, 2_001)
    sample = customer_sample(ids, 50, seed=17)
    assert len(sample) == 50 and len(set(sample.tolist())) == 50 and set(sample.tolist()) <= set(ids.tolist())
    assert sample.tolist() == sorted(sample.tolist())
    # spread over the ids, not the first or the last fifty
    assert sample.min() < 400 and sample.max() > 1_600


def test_a_company_no_larger_than_the_size_is_taken_whole():
    assert customer_sample([7, 3, 5, 3], 3, seed=17).tolist() == [3, 5, 7]
    assert customer_sample([], 3, seed=17).tolist() == []


def test_the_same_seed_draws_the_same_sample_and_another_seed_another():
    ids = np.arange(1, 2_001)
    shuffled = np.random.default_rng(0).permutation(ids)
    assert customer_sample(shuffled, 50, seed=17).tolist() == customer_sample(ids, 50, seed=17).tolist()
    assert customer_sample(ids, 50, seed=18).tolist() != customer_sample(ids, 50, seed=17).tolist()


def test_new_customers_only_displace_members_they_outrank():
    before = set(customer_sample(np.arange(1, 2_001), 50, seed=17).tolist())
    after = set(customer_sample(np.arange(1, 2_101), 50, seed=17).tolist())
    joined = after - before
    assert joined <= set(range(2_001, 2_101))
    assert len(before & after) == 50 - len(joined)
