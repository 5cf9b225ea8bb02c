"""Calibrated parameters of the ranker and the confidence model (fit by bench/calibrate.py)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("calibration.json")

# Per-candidate features, in this order, for ranking.
RANK_FEATURES = ("cov_p", "cov_q", "cov_e", "fz_sort", "fz_set")
# Features of the top candidate, in this order, for the confidence model.
CONF_FEATURES = (
    "rank",
    "margin",
    "cov_p",
    "cov_q",
    "cov_e",
    "fz_sort",
    "in_domain",
    "oov",
    "length",
)


@dataclass(frozen=True)
class Calibration:
    """Linear ranker weights, logistic confidence weights, and the decision thresholds."""

    rank_weights: tuple[float, ...] = (0.35, 0.25, 0.2, 0.2, 0.0)
    conf_weights: tuple[float, ...] = (8.0, 2.0, 0.0, 0.0, 0.0, 0.0, 1.5, -2.0, 0.0)
    conf_bias: float = -5.5
    threshold: float = 0.5
    suggest: float = 0.25
    fitted_on: dict[str, object] = field(default_factory=dict)
    # message-level selection (coopbot/retrieval/select.py): SELECT_FEATURES, PART_CONF_FEATURES
    select_weights: tuple[float, ...] = (
        *(1.0, 0.5, 0.3, 0.5, 0.3, 0.1, -0.3, 0.05, 0.1, 0.2, 0.1, 0.1, 0.05),
        *(0.0,) * 13,
    )
    select_bias: float = 0.0
    part_conf_weights: tuple[float, ...] = (
        *(6.0, 4.0, 0.0, 2.0, 0.5, -1.0, 1.5, -2.0, 0.0, 0.0, 0.5, 0.5),
    )
    part_conf_bias: float = -5.0
    part_threshold: float = 0.5
    part_suggest: float = 0.15

    def select_score(self, values: tuple[float, ...]) -> float:
        """Selection score (a logit) of one entry for one part of a message."""
        return self.select_bias + sum(
            w * v for w, v in zip(self.select_weights, values, strict=True)
        )

    def part_confidence(self, values: tuple[float, ...]) -> float:
        """Probability that the best entry for a part answers it."""
        z = self.part_conf_bias + sum(
            w * v for w, v in zip(self.part_conf_weights, values, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def rank(self, values: tuple[float, ...]) -> float:
        """Ranking score of one candidate."""
        return sum(w * v for w, v in zip(self.rank_weights, values, strict=True))

    def confidence(self, values: tuple[float, ...]) -> float:
        """Probability that the top candidate answers the question."""
        z = self.conf_bias + sum(w * v for w, v in zip(self.conf_weights, values, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Calibration:
        """Read from JSON; the built-in defaults when the file is absent."""
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        for key in ("rank_weights", "conf_weights", "select_weights", "part_conf_weights"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)

    def save(self, path: Path = DEFAULT_PATH) -> None:
        """Write as JSON."""
        path.write_text(
            json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
