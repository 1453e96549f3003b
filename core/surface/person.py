"""What the surface stage knows about the person before it builds a surface: the body parts
seen at each pixel, the skin / hair / garment labels, how clothed each body vertex is, and the
clothed-body prior of the garment layer. Shared by both modes, the folds and the texture."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from core.body.base import BodyModel
from core.types import FrameFit

from .budget import WorkingView
from .config import SurfaceConfig
from .garment import GarmentBody, GarmentCues, clothed_weights, garment_body, garment_cues
from .labels import GARMENT, PersonLabels, label_person
from .parts import part_map, vertex_parts


@dataclass
class PersonContext:
    """The person as the surface stage sees it (all in the working view).

    view: the WorkingView. body_vertices: (V, 3) float32 camera frame metres; body_faces (F, 3).
    vertex_parts: (V,) int8 body part of each body vertex. part_image: (h, w) int8 body part
    seen at each view pixel (-1 none). labels: PersonLabels. clothed: (V,) float32 clothed
    weight per body vertex. cues: GarmentCues. prior: the clothed-body prior, or None when the
    garment layer is off. landmarks: (33, 3) BlazePose points on the body, camera frame.
    timings: seconds per step.
    """

    view: WorkingView
    body_vertices: np.ndarray
    body_faces: np.ndarray
    vertex_parts: np.ndarray
    part_image: np.ndarray
    labels: PersonLabels
    clothed: np.ndarray
    cues: GarmentCues
    prior: GarmentBody | None
    landmarks: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)

    def view_labels(self) -> np.ndarray:
        """(h, w) uint8 labels on the working view's pixels (nearest)."""
        h, w = self.view.mask.shape
        lab = self.labels.labels
        if lab.shape == (h, w):
            return lab
        return cv2.resize(lab, (w, h), interpolation=cv2.INTER_NEAREST)

    def garment_mask(self) -> np.ndarray:
        """(h, w) bool: working-view pixels the labels call a garment."""
        return self.view_labels() >= GARMENT


def analyse_person(view: WorkingView, fit: FrameFit, body: BodyModel,
                   config: SurfaceConfig) -> PersonContext:
    """Labels, parts and (when ``config.garment.enabled``) the clothed-body prior of one frame.

    view: the frame's WorkingView (image needed for the labels). fit: the frame's fitted body
    (vertices and landmarks in the camera frame). body: the fitted model (faces, skinning).
    """
    t = {}
    t0 = time.perf_counter()
    bv = np.asarray(fit.vertices, np.float64)
    faces = np.asarray(body.faces, np.int64)
    parts = vertex_parts(body)
    part_img = part_map(bv, faces, parts, view.camera)
    image = view.image if view.image is not None else np.full(view.mask.shape + (3,), 128, np.uint8)
    labels = label_person(image, view.mask, view.observation, part_img, config.labels,
                          config.mask_threshold, (view.x0, view.y0), view.scale, view.full_size)
    t["labels"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    landmarks = (np.asarray(fit.landmarks, np.float64) if fit.landmarks is not None
                 else None)
    clothed = clothed_weights(bv, faces, parts, labels, part_img, view.camera, view.to_full)
    cues = (garment_cues(labels, part_img, view.camera, bv, parts, landmarks)
            if landmarks is not None else GarmentCues())
    prior = None
    if config.garment.enabled and landmarks is not None:
        prior = garment_body(bv, faces, parts, clothed, landmarks, cues, config.garment)
    t["garment"] = time.perf_counter() - t0
    return PersonContext(view, bv.astype(np.float32), faces, parts, part_img, labels, clothed,
                         cues, prior, landmarks, t)
