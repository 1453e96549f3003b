"""Skin, hair and garments apart: a per-pixel labelling of the person from the image.

1. **Skin** colour is seeded by the face: small discs on the cheeks, nose, chin and forehead of
   the MediaPipe face mesh (``Observation.face``; without one, an ellipse from BlazePose's face
   keypoints). Their CIELAB colour, made robust to hair on the forehead by a median and outlier
   cut, gives a Gaussian model of the skin's chroma (a, b) and a band of lightness. Every person
   pixel within ``LabelConfig.skin_chroma`` (Mahalanobis) is skin, and so is the face oval.
2. **Hair** is seeded just above the face oval: the median colour of the non-skin pixels there.
   Pixels of that colour connected to the seed are hair: around the head above the chin, and
   below it only beside the body (long hair), never over the torso's or the arms' silhouette
   (a black hoodie under black hair stays a garment). Inside the face oval only bangs above
   the eyebrows can be hair.
3. **Garments** are the rest of the person: k-means in Lab (lightness down-weighted, so the
   shading of one fabric stays one cluster), close clusters merged, a median filter, then
   connected regions; regions under ``LabelConfig.min_region`` of the person take their
   nearest neighbour's label.

The labels drive the garment layer (where the body's anatomy is low-passed), the folds (which
regions have an even colour) and the texture (back colours per region, hair on the back of the
head).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.ndimage import distance_transform_edt

from core.types import Observation

from .config import LabelConfig
from .parts import ARMS, HANDS, TORSO

BACKGROUND, SKIN, HAIR, GARMENT = 0, 1, 2, 3
#: Kind of each label value below GARMENT; GARMENT and above are garment regions.
KINDS = {BACKGROUND: "background", SKIN: "skin", HAIR: "hair"}

#: MediaPipe face-mesh points whose neighbourhood is bare skin on most faces (cheeks, nose,
#: chin, forehead).
SKIN_POINTS = (50, 280, 101, 330, 118, 347, 207, 427, 5, 195, 4, 199, 151, 108, 337, 9)
#: Face-mesh points on the eyebrows (hair inside the oval must lie above them) and the chin.
BROW_POINTS = (105, 334, 66, 296)
CHIN, FOREHEAD_TOP = 152, 10
#: Most person pixels on the labelling grid's longer side (the labels are a coarse map).
LABEL_SIZE = 512


@dataclass
class PersonLabels:
    """Per-pixel skin / hair / garment labels of the person.

    labels: (h, w) uint8: 0 background, 1 skin, 2 hair, 3 + k the k-th garment region
        (largest first). colors: (n, 3) float32 typical RGB of each label value (its median;
        row = label value; grey for labels with no pixels).
    x0, y0, scale: full-frame pixel (x, y) is label pixel ((x - x0 + 0.5) * scale - 0.5,
        (y - y0 + 0.5) * scale - 0.5) (pixel-centre convention).
    full_size: (width, height) of the full frame.
    face_seeded: True when the skin colour came from the face mesh (else from keypoints or
        not found).
    """

    labels: np.ndarray
    colors: np.ndarray
    x0: float = 0.0
    y0: float = 0.0
    scale: float = 1.0
    full_size: tuple[int, int] = (0, 0)
    face_seeded: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def num_garments(self) -> int:
        return max(0, len(self.colors) - GARMENT)

    def kind(self, value: int) -> str:
        """"background", "skin", "hair" or "garment" of a label value."""
        return KINDS.get(int(value), "garment")

    def has(self, value: int) -> bool:
        return bool((self.labels == value).any())

    def at_pixels(self, xy_full: np.ndarray) -> np.ndarray:
        """(N,) uint8 label at full-frame pixels (N, 2) (nearest; background outside)."""
        p = (np.asarray(xy_full, np.float64) - [self.x0, self.y0] + 0.5) * self.scale - 0.5
        h, w = self.labels.shape
        x, y = np.rint(p[:, 0]).astype(np.int64), np.rint(p[:, 1]).astype(np.int64)
        ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
        out = np.zeros(len(p), np.uint8)
        out[ok] = self.labels[y[ok], x[ok]]
        return out

    def full_frame(self) -> np.ndarray:
        """(H, W) uint8 labels at the full frame's resolution (nearest), for display."""
        W, H = self.full_size
        xs = ((np.arange(W) - self.x0 + 0.5) * self.scale - 0.5).astype(np.float32)
        ys = ((np.arange(H) - self.y0 + 0.5) * self.scale - 0.5).astype(np.float32)
        mx, my = np.meshgrid(xs, ys)
        return cv2.remap(self.labels, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=0)


def _lab(image: np.ndarray) -> np.ndarray:
    """(h, w, 3) float32 CIELAB with 8-bit scaling (L 0..255, a and b offset by 128)."""
    return cv2.cvtColor(np.ascontiguousarray(image, np.uint8), cv2.COLOR_RGB2LAB).astype(np.float32)


#: The face oval of MediaPipe's face mesh in order: the loop that the edges of
#: ``mediapipe.python.solutions.face_mesh_connections.FACEMESH_FACE_OVAL`` form, starting at
#: the top of the forehead (written out because importing mediapipe costs a second; a test
#: checks it against the wheel).
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
             377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67,
             109)


@dataclass
class _Face:
    """Where the face is in the labelling grid: oval polygon (K, 2) float32 pixels, skin sample
    points (M, 2), height in pixels, chin and brow rows, and whether it came from the mesh."""

    oval: np.ndarray
    samples: np.ndarray
    height: float
    chin_y: float
    brow_y: float
    top_y: float
    from_mesh: bool


def _face(observation: Observation, scale: float) -> _Face | None:
    face = getattr(observation, "face", None)
    if face is not None and len(face) >= 468:
        f = np.asarray(face, np.float64)[:, :2] * scale
        oval = f[list(FACE_OVAL)]
        return _Face(oval.astype(np.float32), f[list(SKIN_POINTS)],
                     float(np.linalg.norm(f[FOREHEAD_TOP] - f[CHIN])), float(f[CHIN, 1]),
                     float(f[list(BROW_POINTS), 1].mean()), float(f[FOREHEAD_TOP, 1]), True)
    if getattr(observation, "face_checked", False):
        return None             # the head was looked at and showed no face: a back view
    kp = np.asarray(observation.keypoints2d, np.float64)
    if kp.shape[0] < 11:
        return None
    ok = kp[:, 2] >= 0.5
    if not (ok[0] and ok[2] and ok[5]):
        return None
    xy = kp[:, :2] * scale
    eyes = 0.5 * (xy[2] + xy[5])
    width = (np.linalg.norm(xy[7] - xy[8]) if ok[7] and ok[8]
             else 2.3 * np.linalg.norm(xy[2] - xy[5]))
    mouth = 0.5 * (xy[9] + xy[10]) if ok[9] and ok[10] else xy[0] + (xy[0] - eyes) * 0.9
    down = mouth - eyes
    down /= max(np.linalg.norm(down), 1e-6)
    height = 1.3 * width
    centre = eyes + down * 0.12 * height
    side = np.array([-down[1], down[0]])
    t = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    oval = (centre + np.outer(np.cos(t), side * 0.5 * width)
            + np.outer(np.sin(t), down * 0.5 * height))
    nose = xy[0]
    samples = np.stack([nose, nose + 0.22 * width * side, nose - 0.22 * width * side,
                        0.5 * (nose + mouth)])
    return _Face(oval.astype(np.float32), samples, float(height),
                 float((centre + 0.5 * height * down)[1]), float(eyes[1] - 0.1 * height),
                 float((centre - 0.5 * height * down)[1]), False)


def _hands(observation: Observation, scale: float) -> _Face | None:
    """Skin samples on the palms of the hand landmarks (wrist and the four knuckles), as a
    _Face without an oval (``height`` sizes the sample discs), or None without hands."""
    pts = [np.asarray(hand, np.float64)[[0, 5, 9, 13, 17], :2] * scale
           for hand in (getattr(observation, "left_hand", None),
                        getattr(observation, "right_hand", None)) if hand is not None]
    if not pts:
        return None
    samples = np.concatenate(pts + [0.5 * (p[:1] + p[1:]) for p in pts])
    size = max(float(np.ptp(p, axis=0).max()) for p in pts)        # a palm's width
    return _Face(np.zeros((0, 2), np.float32), samples, 1.2 * size, 0.0, 0.0, 0.0, False)


def _skin(lab: np.ndarray, person: np.ndarray, face: _Face, oval: np.ndarray,
          cfg: LabelConfig) -> np.ndarray:
    """(h, w) bool skin pixels from the colour seeded at the face's sample points (within the
    face oval, when it has one)."""
    h, w = person.shape
    r = max(1, int(round(0.035 * face.height)))
    seed = np.zeros((h, w), np.uint8)
    for x, y in face.samples:
        cv2.circle(seed, (int(round(x)), int(round(y))), r, 1, -1)
    seed = (seed > 0) & person & (oval if oval.any() else True)
    px = lab[seed]
    if len(px) < 8:
        return oval & person
    med = np.median(px, 0)
    d = np.linalg.norm(px - med, axis=1)
    px = px[d <= max(2.5 * np.median(d), 6.0)]
    mu = px[:, 1:].mean(0)
    cov = np.cov(px[:, 1:].T) if len(px) > 3 else np.eye(2)
    cov = cov + np.eye(2) * cfg.skin_min_std ** 2
    return _skin_pixels(lab, person, mu, cov, float(np.median(px[:, 0])), cfg.skin_chroma,
                        cfg) | (oval & person)


#: A generic skin tone for when neither a face nor hands were seen: (a, b) mean and covariance
#: of 8-bit CIELAB over light to dark skin, lightness from about 80 to 225.
GENERIC_SKIN = (np.array([146.0, 150.0]), np.diag([7.0, 9.0]) ** 2, 180.0)


def _skin_pixels(lab: np.ndarray, person: np.ndarray, mu: np.ndarray, cov: np.ndarray,
                 l_med: float, chroma: float, cfg: LabelConfig) -> np.ndarray:
    """(h, w) bool: person pixels of the skin colour (a, b) ~ N(mu, cov) with lightness around
    l_med, strong ones grown through weaker ones (hysteresis: shading changes the lightness far
    more than the chroma, so a shadowed neck or hands in the shade stay skin)."""
    inv = np.linalg.inv(cov)
    ab = lab[..., 1:] - mu
    m2 = np.einsum("hwi,ij,hwj->hw", ab, inv, ab)
    L = lab[..., 0]
    strong = person & (m2 < chroma ** 2) & (L > 0.45 * l_med) & (L < l_med + 45.0)
    weak = person & (m2 < (1.6 * chroma) ** 2) & (L > 0.3 * l_med) & (L < l_med + 60.0)
    strong = cv2.medianBlur(strong.astype(np.uint8), 5) > 0
    n, comp, stats, _ = cv2.connectedComponentsWithStats(strong.astype(np.uint8), connectivity=8)
    big = np.zeros(n, bool)
    big[1:] = stats[1:, cv2.CC_STAT_AREA] >= max(6, 0.0008 * person.sum())
    strong = big[comp]
    n, comp = cv2.connectedComponents((weak | strong).astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    keep[np.unique(comp[strong])] = True
    keep[0] = False
    return keep[comp] & person


def _hair(lab: np.ndarray, person: np.ndarray, skin: np.ndarray, face: _Face,
          oval: np.ndarray, parts: np.ndarray | None, shoulder_y: float | None,
          cfg: LabelConfig) -> np.ndarray:
    """(h, w) bool hair pixels: the colour just above the face, grown around the head."""
    h, w = person.shape
    fh = face.height
    yy, xx = np.mgrid[0:h, 0:w]
    d_oval = distance_transform_edt(~oval)
    cx = float(face.oval[:, 0].mean())
    near_head = person & ~skin & (d_oval < 0.9 * fh)
    seed = near_head & (yy < face.top_y + 0.1 * fh) & (np.abs(xx - cx) < 0.8 * fh)
    if seed.sum() < 6:
        return np.zeros((h, w), bool)
    wts = np.array([0.6, 1.0, 1.0], np.float32)
    colour = np.median(lab[seed], 0)
    close = np.linalg.norm((lab - colour) * wts, axis=2) < cfg.hair_distance
    body_cover = (np.zeros((h, w), bool) if parts is None
                  else np.isin(parts, (TORSO,) + ARMS + HANDS))
    low = shoulder_y if shoulder_y is not None else face.chin_y + 0.6 * fh
    around = near_head & (yy < face.chin_y)
    beside = person & ~skin & ~body_cover & (yy < low + 1.2 * fh) & (np.abs(xx - cx) < 1.6 * fh)
    bangs = oval & (yy < face.brow_y)
    allowed = (around | beside | bangs) & close & ~(skin & ~bangs)
    n, comp = cv2.connectedComponents(allowed.astype(np.uint8), connectivity=8)
    touching = np.unique(comp[seed & allowed])
    touching = touching[touching > 0]
    return np.isin(comp, touching)


def _shading_invariant(lab: np.ndarray, cfg: LabelConfig) -> np.ndarray:
    """(N, 3) float32 features of Lab colours (N, 3) in which shading moves a fabric little:
    log-lightness (a shadow halves the lightness of a grey hoodie; black jeans are a sixth of
    it) scaled by ``lightness_weight`` x 30, and the chroma (a, b)."""
    f = np.empty_like(lab, dtype=np.float32)
    f[:, 0] = 30.0 * cfg.lightness_weight * np.log((lab[:, 0] + 12.0) / 255.0)
    f[:, 1:] = lab[:, 1:]
    return f


def _garments(lab: np.ndarray, rest: np.ndarray, person_area: int,
              cfg: LabelConfig) -> tuple[np.ndarray, int]:
    """(h, w) int32 garment region (1-based, 0 elsewhere) of the ``rest`` pixels, and count."""
    h, w = rest.shape
    out = np.zeros((h, w), np.int32)
    n_rest = int(rest.sum())
    if n_rest == 0:
        return out, 0
    feats = _shading_invariant(lab[rest], cfg)
    rng = np.random.default_rng(0)
    sample = feats[rng.choice(n_rest, min(n_rest, 20000), replace=False)]
    k = int(max(1, min(cfg.garment_clusters, len(sample))))
    cv2.setRNGSeed(0)
    _, _, centres = cv2.kmeans(sample, k, None,
                               (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.5), 3,
                               cv2.KMEANS_PP_CENTERS)
    # Merge clusters closer than merge_distance (greedy, by distance).
    groups = list(range(len(centres)))
    merged = True
    while merged and len(set(groups)) > 1:
        merged = False
        ids = sorted(set(groups))
        cs = {g: centres[[i for i, x in enumerate(groups) if x == g]].mean(0) for g in ids}
        best = None
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                dist = float(np.linalg.norm(cs[a] - cs[b]))
                if dist < cfg.merge_distance and (best is None or dist < best[0]):
                    best = (dist, a, b)
        if best is not None:
            groups = [best[1] if x == best[2] else x for x in groups]
            merged = True
    uniq = sorted(set(groups))
    merged_centres = np.stack([centres[[i for i, x in enumerate(groups) if x == g]].mean(0)
                               for g in uniq])
    d = ((feats[:, None, :] - merged_centres[None]) ** 2).sum(2)
    cluster = np.zeros((h, w), np.uint8)
    cluster[rest] = d.argmin(1).astype(np.uint8) + 1
    cluster = np.where(rest, cv2.medianBlur(cluster, 5), 0)
    cluster[rest & (cluster == 0)] = 1
    # Connected regions per cluster; small ones take their nearest neighbour's region.
    nreg = 0
    for c in range(1, len(uniq) + 1):
        n, comp, stats, _ = cv2.connectedComponentsWithStats((cluster == c).astype(np.uint8),
                                                             connectivity=8)
        for j in range(1, n):
            if stats[j, cv2.CC_STAT_AREA] >= cfg.min_region * person_area:
                nreg += 1
                out[comp == j] = nreg
    unlabelled = rest & (out == 0)
    if nreg == 0:
        out[rest] = 1
        return out, 1
    if unlabelled.any():
        _, (iy, ix) = distance_transform_edt(out == 0, return_indices=True)
        out = np.where(unlabelled, out[iy, ix], out)
    # Renumber by area, largest first.
    area = np.bincount(out.ravel(), minlength=nreg + 1)[1:]
    order = np.argsort(-area)
    remap = np.zeros(nreg + 1, np.int32)
    remap[order + 1] = np.arange(1, nreg + 1)
    return remap[out], nreg


def _fallback_skin(lab: np.ndarray, person: np.ndarray, hands, cfg: LabelConfig,
                   notes: list[str], face_note: str | None) -> np.ndarray:
    """Skin pixels without a usable face: seeded by the hands when they were found, else a
    generic skin tone, strictly (bare arms and legs of a back view; a beige garment may be
    taken for skin). Adds a sentence for the user to ``notes``."""
    if hands is not None:
        notes.append(f"The skin colour could not be read off {face_note}; it was seeded by the "
                     "hands." if face_note else "No face was found; the skin colour was seeded "
                     "by the hands and no hair could be told apart.")
        return _skin(lab, person, hands, np.zeros(person.shape, bool), cfg)
    mu, cov, l_med = GENERIC_SKIN
    if face_note:
        notes.append(f"The skin colour could not be read off {face_note}, so skin was told by "
                     "a generic skin tone.")
    else:
        notes.append("No face or hands were found, so skin was told by a generic skin tone "
                     "and no hair could be told apart.")
    return _skin_pixels(lab, person, mu, cov, l_med, cfg.generic_skin_chroma, cfg)


def label_person(image: np.ndarray, mask: np.ndarray, observation: Observation,
                 parts: np.ndarray | None = None, config: LabelConfig | None = None,
                 threshold: float = 0.5, origin: tuple[float, float] = (0.0, 0.0),
                 scale: float = 1.0, full_size: tuple[int, int] | None = None) -> PersonLabels:
    """Skin / hair / garment labels of the person in an image.

    image: (h, w, 3) uint8 RGB. mask: (h, w) float soft person mask. observation: keypoints and
    (optionally) ``face`` landmarks in this image's pixels. parts: (h, w) int8 body part of the
    fitted body seen at each pixel (core.surface.parts.part_map; -1 none), or None.
    origin, scale, full_size: where this image lies in the full frame (a working view's crop
    corner and shrink), recorded in the result so labels can be looked up in full-frame pixels.
    """
    cfg = config or LabelConfig()
    img = np.asarray(image, np.uint8)
    m = np.asarray(mask, np.float32)
    h0, w0 = m.shape
    person0 = m >= threshold
    ys, xs = np.nonzero(person0)
    extent = max(np.ptp(xs), np.ptp(ys)) + 1 if len(xs) else 1
    k = min(1.0, LABEL_SIZE / extent)
    if k < 1.0:
        size = (max(1, round(w0 * k)), max(1, round(h0 * k)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        m = cv2.resize(m, size, interpolation=cv2.INTER_AREA)
        if parts is not None:
            parts = cv2.resize(parts.astype(np.int16), size, interpolation=cv2.INTER_NEAREST
                               ).astype(np.int8)
    h, w = m.shape
    person = m >= threshold
    lab = _lab(img)
    labels = np.zeros((h, w), np.uint8)
    notes: list[str] = []
    face = _face(observation, k)
    skin = np.zeros((h, w), bool)
    hair = np.zeros((h, w), bool)
    hands = _hands(observation, k)
    if face is not None:
        oval = np.zeros((h, w), np.uint8)
        cv2.fillPoly(oval, [np.rint(face.oval).astype(np.int32)], 1)
        oval = oval > 0
        skin = _skin(lab, person, face, oval, cfg)
        if (skin & ~oval).sum() < 0.05 * max(int((oval & person).sum()), 1):
            # The face's colour matched nothing beyond the face (a side view's oval from the
            # keypoints, half hair and shadow): the hands or a generic skin tone tell the rest.
            skin = (skin & oval) | _fallback_skin(lab, person, hands, cfg, notes,
                                                  "the face seen from here")
        kp = np.asarray(observation.keypoints2d, np.float64)
        seen = kp.shape[0] > 12 and (kp[[11, 12], 2] > 0.3).all()
        sh_y = float(kp[[11, 12], 1].mean() * k) if seen else None
        hair = _hair(lab, person, skin, face, oval, parts, sh_y, cfg)
        skin &= ~hair
    else:
        skin = _fallback_skin(lab, person, hands, cfg, notes, None)
    labels[skin] = SKIN
    labels[hair] = HAIR
    rest = person & ~skin & ~hair
    regions, n = _garments(lab, rest, int(person.sum()), cfg)
    labels[regions > 0] = (GARMENT - 1 + regions[regions > 0]).astype(np.uint8)
    n_labels = GARMENT + n
    colors = np.full((n_labels, 3), 128.0, np.float32)
    core = cv2.erode(person.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    for v in range(1, n_labels):
        sel = (labels == v) & core
        if not sel.any():
            sel = labels == v
        if sel.any():
            colors[v] = np.median(img[sel].reshape(-1, 3), 0)
    if full_size is None:
        full_size = (w0, h0)
    return PersonLabels(labels, colors, float(origin[0]), float(origin[1]), float(scale * k),
                        tuple(full_size), bool(face is not None and face.from_mesh), notes)
