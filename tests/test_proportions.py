"""Limb-length changes of landmark-only training data (core.synthetic.proportions)."""
import numpy as np

from core.synthetic.proportions import LimbScales, scale_limbs


def _length(p, a, b):
    return np.linalg.norm(p[:, a] - p[:, b], axis=-1)


def test_segments_change_length_along_their_own_direction():
    rng = np.random.default_rng(3)
    lm = rng.normal(size=(5, 33, 3))
    f = np.tile([0.85, 0.9, 1.05, 0.95], (5, 1))
    out = scale_limbs(lm, f)
    for (a, b), k in [((23, 25), 0), ((24, 26), 0), ((25, 27), 1), ((26, 28), 1),
                      ((11, 13), 2), ((12, 14), 2), ((13, 15), 3), ((14, 16), 3)]:
        np.testing.assert_allclose(_length(out, a, b), f[:, k] * _length(lm, a, b), rtol=1e-9)
        d0 = (lm[:, b] - lm[:, a]) / _length(lm, a, b)[:, None]
        d1 = (out[:, b] - out[:, a]) / _length(out, a, b)[:, None]
        np.testing.assert_allclose(d1, d0, atol=1e-9)
    # the trunk, the head and the feet and hands' own shapes are kept
    np.testing.assert_array_equal(out[:, [0, 7, 8, 11, 12, 23, 24]], lm[:, [0, 7, 8, 11, 12, 23, 24]])
    np.testing.assert_allclose(out[:, 31] - out[:, 27], lm[:, 31] - lm[:, 27], atol=1e-9)
    np.testing.assert_allclose(out[:, 19] - out[:, 15], lm[:, 19] - lm[:, 15], atol=1e-9)


def test_factors_of_one_change_nothing_and_draws_stay_in_range():
    rng = np.random.default_rng(0)
    lm = rng.normal(size=(2, 33, 3)).astype(np.float32)
    out = scale_limbs(lm, np.ones((2, 4)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, lm, atol=1e-6)
    f = LimbScales(legs=(0.8, 1.0), arms=(1.0, 1.0), segment_jitter=0.0).draw(1000, rng)
    assert f.shape == (1000, 4)
    assert f[:, :2].min() >= 0.8 and f[:, :2].max() <= 1.0 and np.all(f[:, 0] == f[:, 1])
    np.testing.assert_array_equal(f[:, 2:], 1.0)
