"""Skin, hair and garments apart (core/surface/labels.py): on the PIFu photo (a grey hoodie, black
jeans, black hair) and on a generated back view."""
import numpy as np
import pytest
from test_surface_ryota import ryota as ryota  # noqa: F401 - the detected and fitted photo

from core.surface.labels import FACE_OVAL, GARMENT, HAIR, SKIN, label_person
from core.surface.parts import HEAD, part_map, vertex_parts


def test_face_oval_is_mediapipes_loop():
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_FACE_OVAL

    nxt = dict(FACEMESH_FACE_OVAL)
    loop = [FACE_OVAL[0]]
    while len(loop) < len(nxt):
        loop.append(nxt[loop[-1]])
    assert tuple(loop) == FACE_OVAL and nxt[loop[-1]] == loop[0]


@pytest.fixture(scope="module")
def ryota_labels(ryota):
    body, image, cam, obs, fit = ryota
    assert obs.face is not None
    parts = part_map(fit.vertices, body.faces, vertex_parts(body), cam)
    return image, obs, parts, label_person(image, obs.mask, obs, parts)


def test_ryota_skin_hair_and_two_garments(ryota_labels, artifacts):
    image, obs, parts, lab = ryota_labels
    L = lab.labels
    assert L.shape == obs.mask.shape and lab.face_seeded
    face = obs.face[:, :2]
    # Cheeks and nose are skin, the top of the head is hair.
    for i in (50, 280, 4):
        x, y = np.rint(face[i]).astype(int)
        assert L[y, x] == SKIN
    top = np.nonzero(obs.mask > 0.5)[0].min()
    cx = int(np.rint(face[:, 0].mean()))
    assert (L[top + 2:top + 12, cx - 5:cx + 5] == HAIR).mean() > 0.8
    # Hands are skin (around BlazePose's index-finger points).
    for w in (19, 20):
        x, y = np.rint(obs.keypoints2d[w, :2]).astype(int)
        patch = L[y - 4:y + 5, x - 4:x + 5]
        assert (patch == SKIN).mean() > 0.3
    # The hoodie (chest) and the jeans (shins) are two garment regions of their own colours.
    ys = np.nonzero(obs.mask > 0.5)[0]
    h = ys.max() - top
    chest = L[int(top + 0.3 * h), cx - 10:cx + 10]
    shin = L[int(top + 0.8 * h)][obs.mask[int(top + 0.8 * h)] > 0.5]
    hoodie = np.bincount(chest).argmax()
    jeans = np.bincount(shin).argmax()
    assert hoodie >= GARMENT and jeans >= GARMENT and hoodie != jeans
    assert lab.colors[hoodie].mean() > 120 > 60 > lab.colors[jeans].mean()
    assert lab.colors[HAIR].mean() < 80 and lab.colors[SKIN][0] > lab.colors[SKIN][2] + 20
    # The head part of the fitted body is mostly skin and hair, never garment.
    head = parts == HEAD
    assert np.isin(L[head], (SKIN, HAIR)).mean() > 0.9
    from PIL import Image

    pal = np.array([[0, 0, 0], [255, 170, 120], [120, 60, 20], [60, 140, 255], [60, 220, 90],
                    [230, 60, 200], [240, 230, 40]], np.uint8)
    shown = (0.35 * image + 0.65 * pal[np.minimum(L, len(pal) - 1)]).astype(np.uint8)
    Image.fromarray(np.concatenate([image, shown], 1)).save(artifacts / "labels_ryota.png")


def test_a_back_view_seeds_skin_only_from_the_hands(ryota_labels):
    image, obs, parts, _ = ryota_labels
    from dataclasses import replace

    # The head seen, no face: a back view. Without hands a generic skin tone (strict) tells
    # skin from the grey hoodie and the black jeans; no hair without a face.
    back = replace(obs, face=None, face_checked=True, left_hand=None, right_hand=None)
    lab = label_person(image, obs.mask, back, parts)
    assert not lab.has(HAIR) and lab.notes
    person = obs.mask > 0.5
    assert (lab.labels[person] >= GARMENT).mean() > 0.8
    x, y = np.rint(obs.face[4, :2]).astype(int)
    assert lab.labels[y, x] == SKIN
    # With the hand landmarks the hands seed the skin colour (no hair without a face).
    if obs.left_hand is not None or obs.right_hand is not None:
        lab = label_person(image, obs.mask, replace(obs, face=None, face_checked=True), parts)
        assert lab.has(SKIN) and not lab.has(HAIR)
        x, y = np.rint(obs.keypoints2d[19, :2]).astype(int)
        assert (lab.labels[y - 4:y + 5, x - 4:x + 5] == SKIN).mean() > 0.3


def test_a_side_view_whose_face_seeds_nothing_falls_back_to_a_skin_tone():
    """The synthetic bare-skinned person with a backpack seen from the side: the face oval
    made from the keypoints is half hair and shadow, and its colour matched nothing beyond it
    (all the bare body came out as garment). The generic skin tone then tells the bare skin,
    and a note says so."""
    from core.body import load_body_model
    from core.surface.synthetic import clothed_person, photographed
    from core.types import Camera

    body = load_body_model("anny", device="cpu")
    p = body.default_params(transl=(0.05, 0.05, 2.6))
    p.global_orient = np.array([0.0, 0.25 + np.pi / 2, 0.0], np.float32)
    bv, _, bl = body.evaluate(p)
    *mesh, region = clothed_person(bv, body.faces, bl, "backpack", regions=True)
    image, obs = photographed(*mesh, region, "backpack", bl, Camera.from_fov(512, 512))
    lab = label_person(image, obs.mask, obs)
    person = obs.mask > 0.5
    assert (lab.labels[person] == SKIN).mean() > 0.6
    assert any("could not be read off the face" in n for n in lab.notes)
