"""A synthetic clothed subject turning around in front of the camera, with known truth.

Used by the benchmark (bench/subject_synthetic.py) and the tests: the body model's mesh with a
shirt and a flared skirt as a displacement field along the rest normals, a procedural colour
texture in the body's UV layout, posed through one full turn about the vertical axis with gently
swinging arms, rendered with core.render's rasterizer (barycentric UV lookup per pixel), and
observed BlazePose-style (core.synthetic: noisy keypoints and 3D landmarks) with the rendered
clothed silhouette as the person mask.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.body.base import BodyModel
from core.body.params import BodyParams
from core.render.raster import rasterize
from core.types import Camera, FrameFit, Observation

from .avatar import uniform_laplacian, vertex_normals_t

#: Phenotypes of the synthetic subject (Anny order: gender, age, muscle, weight, height, prop.).
SUBJECT_SHAPE = np.array([0.7, 0.78, 0.45, 0.6, 0.45, 0.5], np.float32)


@dataclass
class TurnAround:
    """The synthetic video and its truth.

    camera: intrinsics. images: (N, H, W, 3) uint8 RGB frames. observations / truth_params:
    frame number -> Observation (mask = clothed silhouette) / BodyParams used to pose it.
    shape: (S,) true shape. displacement: (V,) float32 true clothing along the rest normals (m).
    canonical: (V, 3) float32 true clothed mesh in the rest pose, canonical frame, metres.
    posed: (N, V, 3) float32 true clothed mesh per frame, camera frame, metres.
    texture: (T, T, 3) uint8 the procedural texture in the body's UV layout.
    """

    camera: Camera
    images: np.ndarray
    observations: dict[int, Observation]
    truth_params: dict[int, BodyParams]
    shape: np.ndarray
    displacement: np.ndarray
    canonical: np.ndarray
    posed: np.ndarray
    texture: np.ndarray

    def read(self, index: int) -> np.ndarray:
        return self.images[index]


def procedural_texture(size: int = 256) -> np.ndarray:
    """(size, size, 3) uint8 RGB: smooth colour gradients plus coarse stripes, in UV space."""
    u, v = np.meshgrid((np.arange(size) + 0.5) / size, 1.0 - (np.arange(size) + 0.5) / size)
    r = 0.55 + 0.35 * np.sin(2 * np.pi * u * 2.0)
    g = 0.45 + 0.3 * np.cos(2 * np.pi * v * 3.0)
    b = 0.5 + 0.3 * np.sin(2 * np.pi * (u + v) * 1.5)
    stripes = (np.floor(v * 12) % 2) * 0.25
    img = np.stack([r - stripes, g, b + stripes * 0.5], -1)
    return np.clip(img * 255, 0, 255).astype(np.uint8)


def clothing_displacement(body: BodyModel, shape: np.ndarray) -> np.ndarray:
    """(V,) float32 a shirt (torso 2.5 cm, sleeves 1.5 cm) and a skirt flaring from 2.5 cm at the
    hips to 9 cm at the knees, along the outward rest normals, metres; smoothed over the mesh."""
    names = body.joint_names
    w = body.skinning_weights().cpu().numpy()
    group = lambda keys: w[:, [i for i, n in enumerate(names) if n.startswith(keys)]].sum(1)  # noqa: E731
    arm_upper = group(("upperarm", "shoulder"))
    arm_lower = group(("lowerarm", "wrist", "finger", "metacarpal"))
    torso = group(("spine", "clavicle", "root", "pelvis"))
    thigh = group(("upperleg",))
    s = torch.as_tensor(shape[None], dtype=body.dtype, device=body.device)
    with torch.no_grad():
        z = torch.zeros(1, 3, dtype=body.dtype, device=body.device)
        out = body(z, torch.zeros(1, body.num_pose_joints, 3, dtype=body.dtype,
                                  device=body.device), s, z)
    rest = out.vertices[0].cpu().numpy()
    joints = out.joints[0].cpu().numpy()
    y = rest[:, 1]                                          # canonical y points down
    hip_y = joints[names.index("upperleg01.L"), 1]
    knee_y = joints[names.index("lowerleg01.L"), 1]
    d = 0.025 * torso + 0.015 * arm_upper
    t = np.clip((y - hip_y) / max(knee_y - hip_y, 1e-3), 0.0, 1.0)
    skirt = (thigh + torso * (y > hip_y)) * (y < knee_y + 0.03) * (1.0 - arm_lower - arm_upper)
    d = d * (1 - np.clip(skirt, 0, 1)) + np.clip(skirt, 0, 1) * (0.025 + 0.065 * t)
    d = d * (1.0 - arm_lower)                               # no cloth on forearms and hands
    lap = uniform_laplacian(body.faces, body.num_vertices)
    dt = torch.as_tensor(d, dtype=torch.float32)[:, None]
    for _ in range(10):                                     # soften the garment edges
        dt = dt - 0.5 * torch.sparse.mm(lap, dt)
    return dt[:, 0].numpy().astype(np.float32)


def turn_params(body: BodyModel, frames: int, shape: np.ndarray, depth: float = 3.2) -> list[BodyParams]:
    """One full turn about the vertical axis with swinging arms and a little knee bend."""
    P = body.num_pose_joints
    idx = {n: i for i, n in enumerate(body.pose_joint_names)}
    out = []
    for i in range(frames):
        a = 2 * np.pi * i / frames
        pose = np.zeros((P, 3), np.float32)
        if "upperarm01.L" in idx:
            pose[idx["upperarm01.L"]] = [0.25 * np.sin(a * 2), 0.0, 0.12 * np.sin(a * 3)]
            pose[idx["upperarm01.R"]] = [-0.25 * np.sin(a * 2), 0.0, -0.12 * np.sin(a * 3)]
            pose[idx["lowerleg01.L"]] = [0.15 * (1 + np.sin(a * 2)), 0.0, 0.0]
            pose[idx["upperleg01.L"]] = [-0.08 * (1 + np.sin(a * 2)), 0.0, 0.0]
        out.append(BodyParams(body.name, [0.0, a, 0.0], pose, shape, [0.0, 0.1, depth]))
    return out


def make_turnaround(body: BodyModel, frames: int = 60, *, width: int = 360, height: int = 480,
                    seed: int = 0, texture_size: int = 256, noise_px: float = 2.0) -> TurnAround:
    """Render the synthetic subject turning around (see the module docstring)."""
    from core.synthetic.observe import synthesize_observation
    from core.perception.blazepose import person_bbox

    rng = np.random.default_rng(seed)
    camera = Camera.from_fov(width, height)
    shape = SUBJECT_SHAPE.copy()
    disp = clothing_displacement(body, shape)
    s = torch.as_tensor(shape[None], dtype=body.dtype, device=body.device)
    with torch.no_grad():
        rest = body.rest_vertices(s)[0]
        normals = vertex_normals_t(rest, body.faces_t)
        offsets = torch.as_tensor(disp, dtype=body.dtype)[:, None] * normals
    canonical = (rest + offsets).cpu().numpy().astype(np.float32)
    tex = procedural_texture(texture_size)
    uvs, fuv = body.uvs, body.face_uvs
    images, posed, obs, truth = [], [], {}, {}
    for i, p in enumerate(turn_params(body, frames, shape)):
        with torch.no_grad():
            v = body(**body.tensors(p), vertex_offsets=offsets[None]).vertices[0].cpu().numpy()
        r = rasterize(v, body.faces, camera, barycentric=True)
        img = np.full((height, width, 3), 70, np.uint8)
        img[..., 1] = 90
        ys, xs = np.nonzero(r.face >= 0)
        uv = np.einsum("nk,nkc->nc", r.barycentric[ys, xs], uvs[fuv[r.face[ys, xs]]])
        tx = np.clip((uv[:, 0] * texture_size).astype(np.int64), 0, texture_size - 1)
        ty = np.clip(((1 - uv[:, 1]) * texture_size).astype(np.int64), 0, texture_size - 1)
        img[ys, xs] = tex[ty, tx]
        o, _ = synthesize_observation(body, p, camera, rng, noise_px=noise_px, dropout=0.0,
                                      index=i, with_mask=False)
        o.mask = r.mask.astype(np.float32)
        o.bbox = person_bbox(o.keypoints2d, o.mask, width, height)
        images.append(img)
        posed.append(v.astype(np.float32))
        obs[i], truth[i] = o, p
    return TurnAround(camera, np.stack(images), obs, truth, shape, disp, canonical,
                      np.stack(posed), tex)


def perturbed_fits(body: BodyModel, scene: TurnAround, seed: int = 0, pose_noise: float = 0.05,
                   transl_noise: float = 0.03) -> dict[int, FrameFit]:
    """Stand-ins for sequence fits: the true poses with noise, the mean shape, no clothing."""
    rng = np.random.default_rng(seed)
    out = {}
    for i, p in scene.truth_params.items():
        q = BodyParams(p.model, p.global_orient + rng.normal(0, pose_noise / 2, 3),
                       p.body_pose + rng.normal(0, pose_noise, p.body_pose.shape),
                       body.mean_shape(), p.transl + rng.normal(0, transl_noise, 3))
        out[i] = FrameFit(index=i, status="fitted", camera=scene.camera, params=q)
    return out
