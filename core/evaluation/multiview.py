"""Calibrated views: reading calibrations, projecting, robust triangulation of BlazePose keypoints.

A 3D reference for real captures that have no ground truth: detect the 33 BlazePose keypoints in
every calibrated view, triangulate them, and compare a single view's fit against the result.

Conventions: world frame and units of the capture, turned into metres; every view's camera
frame is OpenCV's (x right, y down, z forward) with x_cam = R X + t; pixel centres at integer
coordinates. Distortion is OpenCV's (k1, k2, p1, p2, k3) on normalized image coordinates.

Robust triangulation (``triangulate``), per frame:
1. Which views see the person, with which labelling: every pair of views (and the second view's
   left/right-swapped labelling) triangulates all keypoints; each other view joins with the
   labelling (as labelled or ``BLAZEPOSE_FLIP``-swapped) whose keypoints reproject within
   ``inlier_fraction`` of its person size, when at least ``view_agreement`` of its keypoints do.
   The largest set of agreeing views wins (a view that tracks another person, or misses the
   person, stays out); a tie between sets that see different people goes to the set whose person
   is nearest ``target`` (the previous frame's root, else the point the views look at).
2. Absolute left/right: the labelling of the whole set is either right or mirrored (every view
   swapped). With the world's up direction the 3D body decides: the nose lies in front of the
   ears, so the subject's left (left minus right shoulders and hips) must point along
   up x forward. Without ``up``, the labelling that swaps fewer views wins.
3. Each keypoint is triangulated from its own inlier views among the agreeing ones (RANSAC over
   view pairs, then a confidence-weighted DLT over the inliers), so one view's wrong wrist does
   not move the point.
"""
from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.errors import StudioError
from core.types import BLAZEPOSE_FLIP, NUM_KEYPOINTS, Camera

#: Qualisys camera axes (x right, y up, z backward) -> OpenCV camera axes.
_QUALISYS_TO_OPENCV = np.diag([1.0, -1.0, -1.0])

_FLIP = np.asarray(BLAZEPOSE_FLIP)
_NOSE, _L_EAR, _R_EAR = 0, 7, 8
_L_SHOULDER, _R_SHOULDER, _L_HIP, _R_HIP = 11, 12, 23, 24


@dataclass(frozen=True, eq=False)
class CalibratedView:
    """One calibrated camera.

    name: the view's name ("cam01", "00_03"). K: (3, 3) float64 intrinsics in pixels (pixel
    centres at integer coordinates). dist: (5,) float64 OpenCV distortion (k1, k2, p1, p2, k3).
    R: (3, 3) float64 world -> camera rotation; t: (3,) float64 metres; x_cam = R X + t with the
    camera frame OpenCV's. width, height: image size in pixels.
    """

    name: str
    K: np.ndarray
    dist: np.ndarray
    R: np.ndarray
    t: np.ndarray
    width: int
    height: int

    def camera(self) -> Camera:
        """The calibrated pinhole intrinsics as a core.types.Camera (distortion dropped)."""
        K = self.K
        return Camera(float(K[0, 0]), float(K[1, 1]), float(K[0, 2]), float(K[1, 2]),
                      int(self.width), int(self.height))

    @property
    def center(self) -> np.ndarray:
        """(3,) float64 camera centre in world coordinates, metres."""
        return -self.R.T @ self.t

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) world points (metres) -> (..., 3) float64 in this view's camera frame."""
        return np.asarray(points, np.float64) @ self.R.T + self.t

    def direction_to_camera(self, vector: np.ndarray) -> np.ndarray:
        """(..., 3) world direction -> (..., 3) float64 direction in the camera frame."""
        return np.asarray(vector, np.float64) @ self.R.T


def _view(name, K, dist, R, t, width, height) -> CalibratedView:
    d = np.zeros(5)
    dist = np.asarray(dist, np.float64).ravel()[:5]
    d[:dist.size] = dist
    return CalibratedView(name, np.asarray(K, np.float64).reshape(3, 3), d,
                          np.asarray(R, np.float64).reshape(3, 3),
                          np.asarray(t, np.float64).reshape(3), int(width), int(height))


def _video_size(path: Path) -> tuple[int, int]:
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise StudioError(f"Cannot open '{path}' to read its size; check the path.")
        return int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        cap.release()


def read_qualisys(calib_path: str | Path, video_paths: list[str | Path]) -> list[CalibratedView]:
    """Views of a Qualisys ``.qca.txt`` calibration (pose2sim's layout), one per video.

    video_paths: the videos in the calibration's camera order; their sizes fix the pixel scale
        (s = sensorMaxU / video width) because Qualisys gives intrinsics in sensor units.
    The transform is the camera's rotation rows and its centre in millimetres; the camera frame
    is x_cam = diag(1, -1, -1) R (X - C). Qualisys's radial (k1, k2, k3) and tangential (p1, p2)
    coefficients are taken as OpenCV's on normalized coordinates. The principal point moves by
    half a pixel (sensor coordinates count from the image edge, ours from the first pixel centre).
    raises: StudioError when the file or a video is missing or the counts differ.
    """
    path = Path(calib_path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise StudioError(f"Cannot read the Qualisys calibration '{path}' ({exc}); check the "
                          "path.") from None
    cams = root.findall("./cameras/camera")
    if len(cams) != len(video_paths):
        raise StudioError(f"'{path}' holds {len(cams)} cameras but {len(video_paths)} videos were "
                          "given; give one video per camera, in the calibration's order.")
    views = []
    for cam, video in zip(cams, video_paths):
        tr, intr = cam.find("transform").attrib, cam.find("intrinsic").attrib
        f = {k: float(v) for k, v in intr.items()}
        width, height = _video_size(Path(video))
        s = f["sensorMaxU"] / width
        K = [[f["focalLengthU"] / s, 0.0, f["centerPointU"] / s - 0.5],
             [0.0, f["focalLengthV"] / s, f["centerPointV"] / s - 0.5], [0.0, 0.0, 1.0]]
        rot = np.array([[float(tr[f"r{i}{j}"]) for j in (1, 2, 3)] for i in (1, 2, 3)])
        centre = np.array([float(tr["x"]), float(tr["y"]), float(tr["z"])]) / 1000.0
        R = _QUALISYS_TO_OPENCV @ rot
        dist = [f["radialDistortion1"], f["radialDistortion2"], f["tangentalDistortion1"],
                f["tangentalDistortion2"], f["radialDistortion3"]]
        views.append(_view(cam.attrib.get("serial", f"cam{len(views) + 1:02d}"), K, dist, R,
                           -R @ centre, width, height))
    return views


def read_panoptic(json_path: str | Path, view_names: list[str]) -> list[CalibratedView]:
    """Views named ``view_names`` from a CMU Panoptic ``camera_parameters.json``.

    Panoptic gives K, distCoef (k1, k2, p1, p2, k3), R and t with x_cam = R X + t, t in
    centimetres; t becomes metres here (so does the world).
    raises: StudioError when the file is unreadable or a view is not in it.
    """
    import json

    path = Path(json_path)
    try:
        cams = {c["name"]: c for c in json.loads(path.read_text())["cameras"]}
    except (OSError, ValueError, KeyError) as exc:
        raise StudioError(f"Cannot read the Panoptic calibration '{path}' ({exc}); check the "
                          "path.") from None
    views = []
    for name in view_names:
        if name not in cams:
            raise StudioError(f"View '{name}' is not in '{path}'; choose from "
                              f"{', '.join(sorted(cams)[:8])}, ...")
        c = cams[name]
        w, h = c["resolution"]
        views.append(_view(name, c["K"], c["distCoef"], c["R"],
                           np.asarray(c["t"], np.float64).ravel() / 100.0, w, h))
    return views


def _distort(view: CalibratedView, xy: np.ndarray) -> np.ndarray:
    k1, k2, p1, p2, k3 = view.dist
    x, y = xy[..., 0], xy[..., 1]
    r2 = x * x + y * y
    radial = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3))
    xd = x * radial + 2.0 * p1 * x * y + p2 * (r2 + 2.0 * x * x)
    yd = y * radial + p1 * (r2 + 2.0 * y * y) + 2.0 * p2 * x * y
    return np.stack([xd, yd], -1)


def project(view: CalibratedView, points: np.ndarray, distort: bool = True) -> np.ndarray:
    """Pixel coordinates of world points in ``view``.

    points: (..., 3) float, world frame, metres. distort: apply the view's lens distortion.
    returns: (..., 2) float64 pixels (points behind the camera give far-off values, not nan).
    """
    pc = view.to_camera(points)
    xy = pc[..., :2] / np.clip(pc[..., 2:3], 1e-6, None)
    if distort and np.any(view.dist):
        xy = _distort(view, xy)
    K = view.K
    return np.stack([K[0, 0] * xy[..., 0] + K[0, 1] * xy[..., 1] + K[0, 2],
                     K[1, 1] * xy[..., 1] + K[1, 2]], -1)


def normalize(view: CalibratedView, pixels: np.ndarray, undistort: bool = True) -> np.ndarray:
    """(..., 2) pixels -> (..., 2) float64 normalized image coordinates (distortion removed)."""
    px = np.asarray(pixels, np.float64)
    shape = px.shape
    flat = px.reshape(-1, 1, 2)
    dist = view.dist if undistort else np.zeros(5)
    out = cv2.undistortPoints(flat, view.K, dist) if flat.size else flat
    return out.reshape(shape)


@dataclass
class TriangulationConfig:
    """How ``triangulate`` decides what agrees with what."""

    min_confidence: float = 0.3
    """Keypoints below this confidence are not used."""
    inlier_fraction: float = 0.04
    """A keypoint is an inlier when it reprojects within this fraction of the person's size in
    that view (its keypoints' larger extent): 40 px for a person 1000 px tall."""
    min_inlier_px: float = 8.0
    """Lower bound of that threshold, pixels."""
    view_agreement: float = 0.5
    """A view sees the triangulated person when at least this fraction of its usable keypoints
    are inliers."""
    test_flips: bool = True
    """Also try every view's left/right-swapped labelling (BLAZEPOSE_FLIP)."""
    undistort: bool = True
    """Apply the views' lens distortion (False: pinhole only)."""
    min_views: int = 2
    """Fewest agreeing views for a frame to get a reference."""


@dataclass
class Triangulation:
    """The triangulated person of one frame.

    points: (33, 3) float64 world frame, metres; nan where fewer than 2 views agreed.
    inliers: (33, V) bool, the views each point was triangulated from.
    errors: (33, V) float64 reprojection error in pixels of each point in each view that has a
        usable keypoint (nan elsewhere); member views as labelled after ``flipped``, the other
        views in whichever labelling fits the points better.
    views: (V,) bool, the views that see this person. flipped: (V,) bool, the views whose
        left/right labels were swapped to agree. ambiguous: another set of as many views saw a
        different person (the one nearer the target was kept).
    """

    points: np.ndarray
    inliers: np.ndarray
    errors: np.ndarray
    views: np.ndarray
    flipped: np.ndarray
    ambiguous: bool = False

    @property
    def valid(self) -> np.ndarray:
        """(33,) bool: points triangulated from at least two views."""
        return np.isfinite(self.points[:, 0])

    @property
    def root(self) -> np.ndarray:
        """(3,) hip midpoint, world metres (nan when a hip is missing)."""
        return 0.5 * (self.points[_L_HIP] + self.points[_R_HIP])

    @classmethod
    def empty(cls, views: int) -> "Triangulation":
        return cls(np.full((NUM_KEYPOINTS, 3), np.nan), np.zeros((NUM_KEYPOINTS, views), bool),
                   np.full((NUM_KEYPOINTS, views), np.nan), np.zeros(views, bool),
                   np.zeros(views, bool))


def _dlt(P: np.ndarray, xy: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted DLT. P: (V, 3, 4) [R|t]; xy: (J, V, 2) normalized; w: (J, V) weights (0 = unused).
    returns (J, 3) points (nan where fewer than two views have weight)."""
    rows = np.concatenate([xy[..., 0:1] * P[None, :, 2] - P[None, :, 0],
                           xy[..., 1:2] * P[None, :, 2] - P[None, :, 1]], axis=1)  # (J, 2V, 4)
    ww = np.concatenate([w, w], axis=1)[..., None]
    A = rows * ww
    _, _, vt = np.linalg.svd(A)
    X = vt[:, -1]
    out = X[:, :3] / np.where(np.abs(X[:, 3:]) < 1e-12, np.nan, X[:, 3:])
    out[(w > 0).sum(1) < 2] = np.nan
    return out


class _Frame:
    """One frame's keypoints in every view, in both labellings."""

    def __init__(self, views: list[CalibratedView], keypoints: np.ndarray,
                 config: TriangulationConfig) -> None:
        self.views, self.config = views, config
        kp = np.asarray(keypoints, np.float64)
        self.kp = np.stack([kp, kp[:, _FLIP]], 1)                       # (V, 2, 33, 3)
        self.P = np.stack([np.hstack([v.R, v.t[:, None]]) for v in views])
        self.xy = np.stack([normalize(v, self.kp[i, :, :, :2], config.undistort)
                            for i, v in enumerate(views)])              # (V, 2, 33, 2)
        self.usable = self.kp[..., 2] >= config.min_confidence          # (V, 2, 33)
        tau = []
        for i in range(len(views)):
            pts = self.kp[i, 0][self.usable[i, 0], :2]
            size = float(np.ptp(pts, axis=0).max()) if len(pts) >= 2 else 0.0
            tau.append(max(config.min_inlier_px, config.inlier_fraction * size))
        self.tau = np.asarray(tau)                                      # (V,)

    def errors_both(self, X: np.ndarray) -> np.ndarray:
        """(V, 2, 33) reprojection errors in pixels of world points X (33, 3) against each view's
        keypoints as labelled (0) and swapped (1); nan where unusable or X is nan."""
        err = np.full((len(self.views), 2, NUM_KEYPOINTS), np.nan)
        for i, v in enumerate(self.views):
            px = project(v, X, self.config.undistort)
            d = np.linalg.norm(px[None] - self.kp[i, :, :, :2], axis=-1)
            err[i] = np.where(self.usable[i], d, np.nan)
        return err

    def errors(self, X: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """(33, V) reprojection errors of X in the labelling ``labels`` (V,) {0, 1}."""
        return self.errors_both(X)[np.arange(len(self.views)), labels].T

    def triangulate(self, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """(33, 3) points from views weighted by ``weights`` (33, V) in labelling ``labels``."""
        V = len(self.views)
        xy = self.xy[np.arange(V), labels].transpose(1, 0, 2)           # (33, V, 2)
        conf = self.kp[np.arange(V), labels, :, 2].T                     # (33, V)
        usable = self.usable[np.arange(V), labels].T
        return _dlt(self.P, xy, np.where(usable, conf, 0.0) * weights)

    def agreement_both(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per view and labelling (V, 2): the fraction of usable keypoints (where X exists)
        within the view's threshold, and their mean error truncated at the threshold (px)."""
        err = self.errors_both(X)
        seen = np.isfinite(err)
        tau = self.tau[:, None, None]
        frac = ((err < tau) & seen).sum(-1) / np.maximum(seen.sum(-1), 1)
        trunc = np.where(seen, np.minimum(err, tau), 0.0).sum(-1) / np.maximum(seen.sum(-1), 1)
        return frac, trunc


def _views_centre(views: list[CalibratedView]) -> np.ndarray:
    """(3,) the point nearest every view's optical axis (least squares), world metres."""
    A, b = np.zeros((3, 3)), np.zeros(3)
    for v in views:
        d = v.R[2] / np.linalg.norm(v.R[2])
        M = np.eye(3) - np.outer(d, d)
        A += M
        b += M @ v.center
    return np.linalg.lstsq(A, b, rcond=None)[0]


def _mirrored(X: np.ndarray, up: np.ndarray) -> bool | None:
    """Whether the labelled 3D body is left/right mirrored (None: cannot tell)."""
    need = [_NOSE, _L_EAR, _R_EAR, _L_SHOULDER, _R_SHOULDER, _L_HIP, _R_HIP]
    if not np.all(np.isfinite(X[need])):
        return None
    u = up / np.linalg.norm(up)
    forward = X[_NOSE] - 0.5 * (X[_L_EAR] + X[_R_EAR])
    forward = forward - u * (forward @ u)
    left = X[_L_SHOULDER] + X[_L_HIP] - X[_R_SHOULDER] - X[_R_HIP]
    s = float(left @ np.cross(u, forward))
    return None if abs(s) < 1e-9 else s < 0


def triangulate(views: list[CalibratedView], keypoints: np.ndarray,
                config: TriangulationConfig | None = None, up: np.ndarray | None = None,
                target: np.ndarray | None = None) -> Triangulation:
    """Robustly triangulate one person's BlazePose keypoints seen by calibrated views.

    keypoints: (V, 33, 3) float, per view [x, y] pixels + confidence (0 where the view has no
        person). up: (3,) world up direction (decides the absolute left/right; None: fewest
        swapped views). target: (3,) world metres, where the person is expected (e.g. the
        previous frame's root) to break ties between people; None: the point the views look at.
    returns: Triangulation (see the module docstring for the method).
    """
    config = config or TriangulationConfig()
    V = len(views)
    kp = np.asarray(keypoints, np.float64)
    if kp.shape != (V, NUM_KEYPOINTS, 3):
        raise ValueError(f"keypoints must be ({V}, {NUM_KEYPOINTS}, 3), not {kp.shape}")
    if V < 2:
        return Triangulation.empty(V)
    fr = _Frame(views, kp, config)
    target = _views_centre(views) if target is None else np.asarray(target, np.float64)
    flips = (0, 1) if config.test_flips else (0,)

    candidates = []   # (n_views, mean error, distance to target, members, labels, root)
    for a, b in itertools.combinations(range(V), 2):
        for fb in flips:
            found = _grow(fr, a, b, fb, flips)
            if found is None:
                continue
            members, labels, X = found
            err = fr.errors(X, labels)[:, members]
            mean = float(np.nanmean(np.minimum(err, fr.tau[members][None]))) \
                if np.isfinite(err).any() else np.inf
            root = 0.5 * (X[_L_HIP] + X[_R_HIP])
            dist = float(np.linalg.norm(root - target)) if np.all(np.isfinite(root)) else np.inf
            candidates.append((int(members.sum()), mean, dist, members, labels, root))
    candidates = [c for c in candidates if c[0] >= config.min_views]
    if not candidates:
        return Triangulation.empty(V)
    most = max(c[0] for c in candidates)
    top = [c for c in candidates if c[0] == most]
    best = min(top, key=lambda c: c[1])
    # Another person: a root farther than half a metre from the best one's. Then the person
    # nearest the target wins, and among that person's candidates the most consistent one.
    far = lambda c, d: not (np.all(np.isfinite(c[5])) and np.all(np.isfinite(d[5]))  # noqa: E731
                            and np.linalg.norm(c[5] - d[5]) <= 0.5)
    ambiguous = any(far(c, best) for c in top)
    if ambiguous:
        nearest = min(top, key=lambda c: c[2])
        best = min((c for c in top if not far(c, nearest)), key=lambda c: c[1])
    members, labels = best[3], best[4]

    # Per keypoint: RANSAC over pairs of member views, then a weighted DLT over the inliers.
    X, inl = _per_point(fr, members, labels)
    if up is not None:
        mirrored = _mirrored(X, np.asarray(up, np.float64))
    else:
        mirrored = labels[members].sum() * 2 > members.sum()
    if mirrored:
        labels = np.where(members, 1 - labels, labels)
        X, inl = _per_point(fr, members, labels)
    # A view outside the set is reported in whichever labelling fits the final points better.
    both = fr.errors_both(X)
    for c in np.flatnonzero(~members):
        med = [np.nanmedian(both[c, k]) if np.isfinite(both[c, k]).any() else np.inf
               for k in (0, 1)]
        labels[c] = int(med[1] < med[0])
    err = fr.errors(X, labels)
    return Triangulation(X, inl, err, members, labels.astype(bool) & members, ambiguous)


def _grow(fr: _Frame, a: int, b: int, fb: int, flips: tuple[int, ...]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Start from views a and b (b's labelling ``fb``), add every other view that agrees (in its
    better labelling), re-triangulate and add again. None when a or b themselves disagree."""
    V = len(fr.views)
    labels = np.zeros(V, int)
    labels[b] = fb
    members = np.zeros(V, bool)
    members[[a, b]] = True
    need = fr.config.view_agreement
    others = [c for c in range(V) if c not in (a, b)]
    for _ in range(2):
        X = fr.triangulate(labels, np.broadcast_to(members, (NUM_KEYPOINTS, V)).astype(float))
        if np.isfinite(X[:, 0]).sum() < 4:
            return None
        frac, trunc = fr.agreement_both(X)
        for c in others:
            # the labelling with more inliers; on a tie, the smaller error; else as labelled
            s = max(flips, key=lambda k: (frac[c, k], -trunc[c, k], -k))
            labels[c] = s
            members[c] = frac[c, s] >= need
    X = fr.triangulate(labels, np.broadcast_to(members, (NUM_KEYPOINTS, V)).astype(float))
    frac, _ = fr.agreement_both(X)
    if frac[a, labels[a]] < need or frac[b, labels[b]] < need:
        return None
    return members, labels, X


def triangulate_sequence(views: list[CalibratedView], keypoints: np.ndarray,
                         config: TriangulationConfig | None = None,
                         up: np.ndarray | None = None) -> list[Triangulation]:
    """``triangulate`` every frame of (T, V, 33, 3) keypoints; each frame's ties between people
    go to the one nearest the previous frame's root (the first frame's: the views' centre).

    One labelling through time: a person cannot trade sides between two frames, but a frame's
    own left/right decision (the nose in front of the ears, a few centimetres) can fail; a frame
    whose left/right-swapped skeleton is much closer to the previous frame's is swapped back,
    and the whole sequence then takes the labelling most of its frames' own decisions vote for.
    """
    out, target, prev = [], None, None
    for kp in np.asarray(keypoints, np.float64):
        tri = triangulate(views, kp, config, up, target)
        if prev is not None and _closer_swapped(tri.points, prev.points):
            tri = _swapped(tri)
        if np.all(np.isfinite(tri.root)):
            target = tri.root
            prev = tri
        out.append(tri)
    if up is not None:
        votes = [_mirrored(t.points, np.asarray(up, np.float64)) for t in out]
        if sum(v is True for v in votes) > sum(v is False for v in votes):
            out = [_swapped(t) for t in out]
    return out


#: Body points compared between frames for the labelling: shoulders to ankles.
_BODY = np.arange(11, 29)


def _closer_swapped(points: np.ndarray, previous: np.ndarray, ratio: float = 0.5) -> bool:
    """Whether a frame's skeleton (33, 3) with left and right swapped is clearly closer to the
    previous frame's than as labelled."""
    flip = np.asarray(BLAZEPOSE_FLIP)
    a, b, c = points[_BODY], points[flip][_BODY], previous[_BODY]
    ok = np.isfinite(a).all(1) & np.isfinite(b).all(1) & np.isfinite(c).all(1)
    if ok.sum() < 6:
        return False
    keep = float(np.linalg.norm(a[ok] - c[ok], axis=1).mean())
    swap = float(np.linalg.norm(b[ok] - c[ok], axis=1).mean())
    return swap < ratio * keep


def _swapped(tri: "Triangulation") -> "Triangulation":
    """The same triangulation with the person's left and right labels exchanged (every member
    view's labelling flipped)."""
    flip = np.asarray(BLAZEPOSE_FLIP)
    return Triangulation(tri.points[flip], tri.inliers[flip], tri.errors[flip], tri.views,
                         tri.views & ~tri.flipped, tri.ambiguous)


def smooth_in_time(points: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing along time that skips missing values.

    points: (T, ...) float, nan where missing; sigma: frames. returns the same shape, float64,
    nan where the input was nan (a missing frame is not filled in).
    """
    x = np.asarray(points, np.float64)
    if sigma <= 0 or len(x) < 2:
        return x.copy()
    r = int(np.ceil(3 * sigma))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    ok = np.isfinite(x)
    num = np.zeros_like(x)
    den = np.zeros_like(x)
    T = len(x)
    for o, w in zip(range(-r, r + 1), k):
        lo, hi = max(0, -o), min(T, T - o)
        if lo >= hi:                    # the kernel reaches past a short series
            continue
        src = x[lo + o:hi + o]
        m = ok[lo + o:hi + o]
        num[lo:hi] += w * np.where(m, src, 0.0)
        den[lo:hi] += w * m
    out = num / np.where(den > 0, den, np.nan)
    out[~ok] = np.nan
    return out


def _per_point(fr: _Frame, members: np.ndarray, labels: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    V = len(fr.views)
    idx = np.flatnonzero(members)
    best_n = np.zeros(NUM_KEYPOINTS, int)
    best_cost = np.full(NUM_KEYPOINTS, np.inf)
    best_inl = np.zeros((NUM_KEYPOINTS, V), bool)
    for a, b in itertools.combinations(idx, 2):
        w = np.zeros((NUM_KEYPOINTS, V))
        w[:, [a, b]] = 1.0
        X = fr.triangulate(labels, w)
        err = fr.errors(X, labels)
        inl = (err < fr.tau[None]) & members[None]
        n = inl.sum(1)
        cost = np.where(inl, err, 0.0).sum(1)
        better = (n > best_n) | ((n == best_n) & (cost < best_cost))
        better &= n >= 2
        best_n = np.where(better, n, best_n)
        best_cost = np.where(better, cost, best_cost)
        best_inl[better] = inl[better]
    X = fr.triangulate(labels, best_inl.astype(float))
    X[best_n < 2] = np.nan
    best_inl[best_n < 2] = False
    return X, best_inl


def foreground_mask(mask: np.ndarray, projected_keypoints: np.ndarray, threshold: float = 0.5,
                    min_share: float = 0.1) -> np.ndarray:
    """The part of a person mask that belongs to the triangulated person.

    mask: (H, W) float or bool person mask (several people may be in it).
    projected_keypoints: (N, 2) float pixels, the triangulated person's points projected into
        this view (nan rows are ignored).
    min_share: a connected component is kept when at least this share of the keypoints that
        fall on the mask fall on it (a person's mask can break into pieces).
    returns: (H, W) bool; all False when no keypoint falls on the mask.
    """
    m = (np.asarray(mask) >= threshold) if np.asarray(mask).dtype != bool else np.asarray(mask)
    out = np.zeros(m.shape, bool)
    pts = np.asarray(projected_keypoints, np.float64).reshape(-1, 2)
    pts = pts[np.all(np.isfinite(pts), 1)]
    if not m.any() or not len(pts):
        return out
    n, labels = cv2.connectedComponents(m.astype(np.uint8), connectivity=8)
    ij = np.round(pts).astype(int)
    inside = (ij[:, 0] >= 0) & (ij[:, 0] < m.shape[1]) & (ij[:, 1] >= 0) & (ij[:, 1] < m.shape[0])
    hit = labels[ij[inside, 1], ij[inside, 0]]
    hit = hit[hit > 0]
    if not len(hit):
        return out
    counts = np.bincount(hit, minlength=n)
    keep = np.flatnonzero(counts >= max(1.0, min_share * len(hit)))
    return np.isin(labels, keep)


__all__ = ["CalibratedView", "read_qualisys", "read_panoptic", "project", "normalize",
           "TriangulationConfig", "Triangulation", "triangulate", "triangulate_sequence",
           "smooth_in_time", "foreground_mask"]
