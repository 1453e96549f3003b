"""The hands' shapes as a facing cue: a left and a right hand are mirror images, so a hand found
at the detector's left wrist that is shaped like a right hand says its labels are swapped."""
from __future__ import annotations

import dataclasses

import numpy as np

from core.fitting.facing import (facing_cues, facing_evidence, hand_chirality,
                                 hands_agree_with_labels, label_facing)
from core.media import open_source
from core.perception import PoseDetector
from core.types import Observation


def _curled_hand(curl: float) -> np.ndarray:
    """21 hand points (px, camera axes): palm in the image plane, fingers bent ``curl`` px
    along +z (away from the camera) at their tips."""
    pts = np.zeros((21, 3))
    for finger, x in enumerate((-30.0, -15.0, 0.0, 15.0, 30.0)):       # thumb .. little finger
        for joint in range(4):
            y = -40.0 - 15.0 * joint
            pts[1 + 4 * finger + joint] = (x, y, curl * joint / 3.0)
    return pts


def test_chirality_turns_with_the_mirror_image_and_vanishes_for_a_flat_hand():
    hand = _curled_hand(20.0)
    mirror = hand * np.array([-1.0, 1.0, 1.0])
    assert abs(hand_chirality(hand)) > 0.1
    assert np.isclose(hand_chirality(mirror), -hand_chirality(hand))
    assert abs(hand_chirality(_curled_hand(0.0))) < 1e-9
    obs = Observation(index=0, width=640, height=480, person=True,
                      right_hand=hand.astype(np.float32), left_hand=mirror.astype(np.float32))
    agree = hands_agree_with_labels(obs)
    assert abs(agree) > 0.5
    assert np.isclose(hands_agree_with_labels(obs.flipped()), -agree)
    one = dataclasses.replace(obs, left_hand=None)
    assert np.isclose(hands_agree_with_labels(one), 0.5 * np.tanh(hand_chirality(hand) / 0.1))
    assert hands_agree_with_labels(dataclasses.replace(one, right_hand=None)) == 0.0


def test_hands_turn_round_a_real_back_view_and_confirm_a_front_view(lunge_jpg, ryota_png):
    detector = PoseDetector("image")
    back = detector.detect(open_source(lunge_jpg).read(0))     # a barbell lunge, seen from behind
    assert back.left_hand is not None or back.right_hand is not None
    # the detector's labels say "seen from behind" here, and the one hand found confirms them
    # (one hand counts half); without the hands the other cues lean the wrong way
    assert label_facing(back) < -0.5 and hands_agree_with_labels(back) > 0.4
    assert facing_cues(back)["hands"] < -0.4
    assert facing_evidence(back) < -0.1 < 0.1 < facing_evidence(back, hands=False)
    front = detector.detect(open_source(ryota_png).read(0))    # an A-pose facing the camera
    assert facing_cues(front)["hands"] > 0.4                   # one hand found: half a vote
    assert facing_evidence(front) > 0.5
