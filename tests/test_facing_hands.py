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


def test_a_carried_hand_stays_with_its_wrist_when_the_labels_swap():
    """In a video the hands run every few frames and their last reading is carried by label; when
    the pose's labels swap (a mirror reading of a back view) the reading must follow the hand it
    was found on, or the hands cue says the opposite of what the hands show."""
    from core.perception.cues import CueDetector

    cues = CueDetector("video")
    kp = np.zeros((33, 3), np.float32)
    kp[15] = (100.0, 200.0, 0.9)      # left wrist
    kp[16] = (300.0, 200.0, 0.9)      # right wrist
    obs = Observation(index=0, width=640, height=480, person=True, keypoints2d=kp)
    left_reading, right_reading = np.zeros((21, 3)), np.ones((21, 3))
    cues._follow_hands(obs)
    cues._carry = {"hand_left": left_reading, "hand_right": right_reading}
    moved = kp.copy()
    moved[15, 0] += 4.0
    moved[16, 0] -= 4.0                # the same labels a few pixels on: nothing changes
    cues._follow_hands(dataclasses.replace(obs, index=1, keypoints2d=moved))
    assert cues._carry["hand_left"] is left_reading
    swapped = moved.copy()
    swapped[[15, 16]] = moved[[16, 15]]          # the labels swap between frames
    cues._follow_hands(dataclasses.replace(obs, index=2, keypoints2d=swapped))
    assert cues._carry["hand_left"] is right_reading and cues._carry["hand_right"] is left_reading
    del cues._carry["hand_right"]                # a side without a reading stays without one
    swapped_back = swapped.copy()
    swapped_back[[15, 16]] = swapped[[16, 15]]
    cues._follow_hands(dataclasses.replace(obs, index=3, keypoints2d=swapped_back))
    assert cues._carry == {"hand_right": right_reading}
