"""Random adult phenotypes for AnnyBody."""
from __future__ import annotations

import numpy as np

#: Anny phenotype order: gender, age, muscle, weight, height, proportions.
SHAPE_MEAN = np.array([0.5, 0.8, 0.5, 0.5, 0.5, 0.5])
SHAPE_STD = np.array([0.0, 0.0, 0.18, 0.18, 0.12, 0.15])


def sample_shapes(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 6) float32 adult-ish Anny phenotypes in [0, 1]: gender U(0, 1), age U(0.65, 0.95)
    (about 16 to 70 years), muscle / weight / height / proportions Gaussian around 0.5 (stds
    0.18, 0.18, 0.12, 0.15; heights about 1.55 m to 2.0 m), clipped to [0.02, 0.98]."""
    s = SHAPE_MEAN + SHAPE_STD * rng.standard_normal((n, 6))
    s[:, 0] = rng.uniform(0.0, 1.0, n)
    s[:, 1] = rng.uniform(0.65, 0.95, n)
    return np.clip(s, 0.02, 0.98).astype(np.float32)
