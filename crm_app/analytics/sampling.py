"""A reproducible random sample of customers, for fitting models on a company too large to fit whole."""

from __future__ import annotations

import numpy as np

# splitmix64's constants (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators").
_GOLDEN = 0x9E3779B97F4A7C15
_MIX_1, _MIX_2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _splitmix64(values: np.ndarray) -> np.ndarray:
    z = values + np.uint64(_GOLDEN)  # uint64 arrays wrap around, as the generator means them to
    z = (z ^ (z >> np.uint64(30))) * _MIX_1
    z = (z ^ (z >> np.uint64(27))) * _MIX_2
    return z ^ (z >> np.uint64(31))


def customer_sample(ids, size: int, *, seed: int) -> np.ndarray:
    """The ids of a random sample of `size` customers (all of them when there are no more), sorted.

    A bottom-k sample: each id is hashed with `seed` (splitmix64 of id + seed × 2⁶⁴/φ, a bijection on 64-bit
    integers) and the `size` smallest hashes are kept. The same ids and seed always give the same sample, every
    subset of `size` is equally likely for a random seed, and a customer added later can only push out a customer
    with a larger hash: the sample of a grown company keeps every earlier member that is still among the
    `size` smallest hashes, so fitted models do not jump when a few customers join.
    """
    ids = np.unique(np.asarray(ids, dtype=np.int64))
    if len(ids) <= size:
        return ids
    hashed = _splitmix64(ids.astype(np.uint64) + np.uint64(seed * _GOLDEN % 2**64))
    return np.sort(ids[np.argpartition(hashed, size)[:size]])
