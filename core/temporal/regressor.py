"""The temporal regressor's loader (TCMR's role: a learned first guess for a whole window).

Not trained yet: no weights ship in assets/temporal/, so ``load_regressor`` returns None and the
sequence fit starts from core.fitting's analytic initializer, median-filtered in time (see
sequence.py). A regressor plugs in as an object with
``predict(observations, usable, camera) -> (global_orient (T, 3), body_pose (T, P, 3))``.
"""
from __future__ import annotations

from pathlib import Path

from core.body.base import BodyModel

#: Where trained temporal-regressor weights would live.
WEIGHTS = Path(__file__).resolve().parents[2] / "assets" / "temporal" / "temporal_regressor.pt"


def load_regressor(body: BodyModel):
    """The installed temporal regressor for ``body``, or None when no weights are installed."""
    if not WEIGHTS.exists():
        return None
    return None  # weights format not defined yet; see the module docstring
