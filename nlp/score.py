"""Risk score and flag: a documented, configurable noisy-or of the item's risk signals.

    risk = 1 - (1 - narrative) * (1 - source) * (1 - coordination) * (1 - engagement)

- ``narrative``: the highest narrative score (already thresholded), times ``narrative_weight``;
- ``source``: the largest weight among the outlet's registry tags (``tag_weights``, e.g.
  ``foreign-state-media`` 0.35) — who publishes matters, but never flags an item alone;
- ``coordination``: ``coordination_weight`` when the item's near-duplicate cluster was published by
  several outlets within hours;
- ``engagement``: up to ``engagement_max`` as views/forwards grow (log scale, ``engagement_views_full``
  views give the full amount).

An item is flagged when its risk reaches ``flag_threshold``, or when it is part of a coordinated
publication. ``flag_reasons`` lists every signal that contributed to a flagged item.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from nlp.dedup import COORDINATION_REASON

DEFAULT_TAG_WEIGHTS: Final[dict[str, float]] = {
    "foreign-state-media": 0.35,
    "pro-kremlin": 0.3,
    "nationalist": 0.15,
    "tabloid": 0.1,
    "pro-government": 0.05,
}


@dataclass(frozen=True)
class RiskPolicy:
    """The weights and threshold of the risk formula (defaults documented in the module docstring)."""

    narrative_weight: float = 1.0
    tag_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TAG_WEIGHTS))
    coordination_weight: float = 0.4
    engagement_max: float = 0.15
    engagement_views_full: int = 100_000
    #: 0.6: a narrative at its usual threshold (0.5) alone is not enough; it needs a second signal
    #: (a state-media outlet, coordination or reach) or a strong narrative score.
    flag_threshold: float = 0.6


DEFAULT_POLICY: Final = RiskPolicy()


@dataclass(frozen=True)
class RiskResult:
    risk: float
    flagged: bool
    flag_reasons: list[str]


def engagement_signal(engagement: Mapping[str, Any] | None, policy: RiskPolicy) -> float:
    """Map views (or forwards × 10) to 0..engagement_max on a log scale."""
    if not engagement:
        return 0.0
    reach = max(engagement.get("views") or 0, 10 * (engagement.get("forwards") or 0))
    if reach <= 0:
        return 0.0
    share = math.log10(1 + reach) / math.log10(1 + policy.engagement_views_full)
    return policy.engagement_max * min(share, 1.0)


def score_risk(
    narratives: Iterable[Mapping[str, Any]],
    source_tags: Iterable[str],
    coordinated: bool,
    engagement: Mapping[str, Any] | None,
    policy: RiskPolicy = DEFAULT_POLICY,
) -> RiskResult:
    """Combine an item's signals into risk, flag and reasons."""
    narratives = list(narratives)
    narrative = policy.narrative_weight * max((n["score"] for n in narratives), default=0.0)
    tags = [t for t in source_tags if t in policy.tag_weights]
    source = max((policy.tag_weights[t] for t in tags), default=0.0)
    coordination = policy.coordination_weight if coordinated else 0.0
    reach = engagement_signal(engagement, policy)
    risk = 1.0 - (1 - narrative) * (1 - source) * (1 - coordination) * (1 - reach)
    risk = round(min(max(risk, 0.0), 1.0), 4)
    flagged = risk >= policy.flag_threshold or coordinated
    reasons: list[str] = []
    if flagged:
        reasons.extend(f"narrative:{n['id']}" for n in narratives)
        reasons.extend(f"source:{t}" for t in tags)
        if coordinated:
            reasons.append(COORDINATION_REASON)
        if reach > 0.05:
            reasons.append("engagement")
        if risk >= policy.flag_threshold:
            reasons.append(f"risk>={policy.flag_threshold}")
    return RiskResult(risk, flagged, reasons)
