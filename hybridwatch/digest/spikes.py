"""The spike test: is a day's count unusual against its trailing baseline?

The count of items of one narrative in one country on one day is modelled as Poisson with the mean daily
count of the baseline window as its rate. A cell spikes when its upper tail probability
``P(X >= count)`` is at most ``SPIKE_MAX_TAIL_PROBABILITY`` and the count reaches ``SPIKE_MIN_COUNT``.
The digest prints the statistic beside every spike, so a reader can judge it.
"""

import math
from dataclasses import dataclass
from typing import Final

#: Days before the digest day whose counts form the baseline.
BASELINE_DAYS: Final = 14

#: Floor of the baseline rate (items per day). A narrative never seen in a country in 14 days would
#: otherwise have rate 0, and a single item would be "infinitely" surprising; 0.5/day says "we would not
#: be surprised by one item every other day", which keeps one-off items out of the spike list.
MIN_BASELINE_RATE_PER_DAY: Final = 0.5

#: Largest upper tail probability that counts as a spike. The digest tests 11 narratives x 7 countries
#: = 77 cells a day; at 0.001 a quiet region raises a false spike about once in 13 days (77 x 0.001).
SPIKE_MAX_TAIL_PROBABILITY: Final = 0.001

#: Fewest items that can make a spike, whatever the probability: two items are an anecdote.
SPIKE_MIN_COUNT: Final = 3


@dataclass(frozen=True)
class SpikeTest:
    """The outcome of the spike test for one cell (one narrative in one country on one day)."""

    count: int
    baseline_mean: float
    rate: float
    tail_probability: float

    @property
    def is_spike(self) -> bool:
        return self.count >= SPIKE_MIN_COUNT and self.tail_probability <= SPIKE_MAX_TAIL_PROBABILITY

    @property
    def ratio(self) -> float:
        """How many times the (floored) baseline rate the day's count is."""
        return self.count / self.rate


def poisson_upper_tail(count: int, rate: float) -> float:
    """Return ``P(X >= count)`` for ``X ~ Poisson(rate)``.

    Above the mean the tail is summed directly (so tiny probabilities keep their precision); at or
    below it, as one minus the lower sum.
    """
    if count <= 0:
        return 1.0
    if rate <= 0:
        return 0.0

    def pmf(k: int) -> float:
        return math.exp(k * math.log(rate) - rate - math.lgamma(k + 1))

    if count > rate:
        total, k = 0.0, count
        while True:
            term = pmf(k)
            total += term
            if term < total * 1e-17:
                return min(total, 1.0)
            k += 1
    return max(0.0, 1.0 - sum(pmf(k) for k in range(count)))


def spike_test(count: int, baseline: list[int]) -> SpikeTest:
    """Test one day's count against the daily counts of its baseline window (zeros included)."""
    mean = sum(baseline) / len(baseline) if baseline else 0.0
    rate = max(mean, MIN_BASELINE_RATE_PER_DAY)
    return SpikeTest(
        count=count, baseline_mean=mean, rate=rate, tail_probability=poisson_upper_tail(count, rate)
    )
