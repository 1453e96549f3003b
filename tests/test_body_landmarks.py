"""Where the BlazePose points sit on Anny: the ankles are raised up the shank, where the detector
puts them on real people (core/body/anny_body.py, ANKLE_RAISE)."""
import numpy as np
import torch

from core.body import load_body_model
from core.body.anny_body import ANKLE_RAISE, coco_keypoint_weights


def _coco_points(body, shape, pose):
    """Anny's own COCO knee and ankle points and the body's landmarks for one pose."""
    coco = coco_keypoint_weights(body.model, body.num_vertices)
    out = body(torch.zeros(1, 3), pose, shape, torch.tensor([[0.0, 0.0, 3.0]]))
    verts = out.vertices[0]
    pts = {k: (coco[k] @ verts).numpy()
           for k in ("left_knee", "left_ankle", "right_knee", "right_ankle")}
    return pts, out.landmarks[0].numpy(), out.joints[0].numpy()


def test_ankles_sit_up_the_shank_between_the_ankle_joint_and_the_knee():
    body = load_body_model("anny")
    shape = torch.as_tensor(body.fit_shape()[None])
    pose = torch.zeros(1, body.num_pose_joints, 3)
    pose[0, body.pose_joint_names.index("lowerleg01.L"), 0] = 0.6   # a bent left knee
    pts, lm, joints = _coco_points(body, shape, pose)
    for side, ankle, knee in (("left", 27, 25), ("right", 28, 26)):
        a, k = pts[f"{side}_ankle"], pts[f"{side}_knee"]
        np.testing.assert_allclose(lm[ankle], a + ANKLE_RAISE * (k - a), atol=1e-5)
        np.testing.assert_allclose(lm[knee], k, atol=1e-5)
        joint = joints[body.joint_names.index("foot." + side[0].upper())]
        shank = (k - a) / np.linalg.norm(k - a)
        # above Anny's ankle joint (the foot bone's head) and well below the knee
        assert np.dot(lm[ankle] - joint, shank) > 0.02
        assert np.dot(k - lm[ankle], shank) > 0.3
