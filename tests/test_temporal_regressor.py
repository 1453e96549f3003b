"""The temporal regressor: missing weights fall back cleanly; the shipped net's first guess for a
synthetic motion is far smoother than the per-frame initializer's and no less accurate."""
from __future__ import annotations

import logging

import numpy as np
import roma
import torch

from core.body import load_body_model
from core.fitting.initializer import Initializer
from core.synthetic.skeleton import PoseSkeleton
from core.temporal.regressor import TemporalRegressor, load_regressor
from core.temporal.synthetic_motion import make_sequence


def test_missing_weights_give_none_and_a_log_line(tmp_path, caplog):
    with caplog.at_level(logging.INFO):
        assert TemporalRegressor.load(path=tmp_path / "none.pt") is None
    assert "train_temporal.py" in caplog.text


def test_regressor_guess_is_smoother_than_per_frame_initializer():
    torch.set_num_threads(2)
    body = load_body_model("anny")
    reg = load_regressor(body)
    frame = Initializer.load()
    seq = make_sequence(body, 32, seed=11)
    skel = PoseSkeleton.from_body(body, seq.shape)
    rot = lambda a: roma.rotvec_to_rotmat(torch.as_tensor(np.asarray(a, np.float32)))  # noqa: E731
    true = skel(rot([p.body_pose for p in seq.params]), rot([p.global_orient for p in seq.params]))
    go, pose, shape = reg.predict(seq.observations, [True] * 32, seq.camera)
    guess = skel(rot(pose), rot(go))
    per_frame = [frame.predict(o, seq.camera) for o in seq.observations]
    pf = skel(rot([p.body_pose for p in per_frame]), rot([p.global_orient for p in per_frame]))

    def errors(x):
        mpjpe = float((x - true).norm(dim=-1).mean())
        acc = lambda y: y[2:] - 2 * y[1:-1] + y[:-2]  # noqa: E731
        return mpjpe, float((acc(x) - acc(true)).norm(dim=-1).mean())

    m_t, a_t = errors(guess)
    m_f, a_f = errors(pf)
    assert a_t < 0.5 * a_f, (a_t, a_f)
    assert m_t < 1.1 * m_f and m_t < 0.08, (m_t, m_f)
    assert shape.shape == (32, 6) and np.all((shape > 0) & (shape < 1))
