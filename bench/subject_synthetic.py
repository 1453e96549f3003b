"""Per-subject avatar on a synthetic clothed subject turning around: how close, how fast.

    .venv/bin/python bench/subject_synthetic.py [--frames 60] [--iterations 300]
                                               [--fits sequence|perturbed] [--readme]

The subject (core/subject/synthetic_turn.py): Anny with a shirt and a flared skirt as a
displacement field, a procedural colour texture in the UV layout, one full turn in front of the
camera with swinging arms, rendered at 360x480 by core.render's rasterizer. Observations: noisy
BlazePose-like keypoints and 3D landmarks (core.synthetic), the rendered clothed silhouette as
the mask. Per-frame fits: the sequence fit (core.temporal.fit_sequence) of those observations,
or (--fits perturbed) the true poses with noise and the mean shape.

Figures (Chamfer = mean of both directions between 20k points sampled on each surface, cm):
  canonical: the avatar in its rest pose vs the true clothed rest mesh; the naked body of the
      fits' shape vs the same truth.
  frame 0: the avatar posed in frame 0, the naked fitted body and the single-image clothed
      surface (core.surface.reconstruct_surface, depth mode) vs the true clothed mesh there.
  IoU: avatar silhouette vs person mask per used frame (mean, min).
  texture: mean absolute RGB error (0-255) between the textured avatar rendered in every 6th
      frame and the frame itself, on pixels both cover.
--readme appends/replaces the "Per-subject avatar" section of bench/README.md.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.body import load_body_model  # noqa: E402
from core.progress import drive  # noqa: E402
from core.subject import OptimConfig, SubjectConfig, TextureConfig, make_avatar  # noqa: E402
from core.subject.avatar import main_surface  # noqa: E402
from core.subject.preview import render_textured, turntable_views  # noqa: E402
from core.subject.synthetic_turn import make_turnaround, perturbed_fits  # noqa: E402


def sample_surface(v: np.ndarray, f: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """(n, 3) points uniformly on a triangle mesh (area-weighted)."""
    rng = np.random.default_rng(seed)
    t = v[f]
    area = np.linalg.norm(np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]), axis=1)
    i = rng.choice(len(f), n, p=area / area.sum())
    a, b = rng.random(n), rng.random(n)
    flip = a + b > 1
    a[flip], b[flip] = 1 - a[flip], 1 - b[flip]
    return t[i, 0] + a[:, None] * (t[i, 1] - t[i, 0]) + b[:, None] * (t[i, 2] - t[i, 0])


def chamfer_cm(v1, f1, v2, f2) -> float:
    from scipy.spatial import cKDTree

    p, q = sample_surface(v1, f1, 20000), sample_surface(v2, f2, 20000, 1)
    d1, _ = cKDTree(q).query(p)
    d2, _ = cKDTree(p).query(q)
    return float((d1.mean() + d2.mean()) / 2 * 100)


def sequence_fits(body, scene):
    from core.temporal import SequenceConfig, fit_sequence

    obs = [scene.observations[i] for i in sorted(scene.observations)]
    fits = drive(fit_sequence(obs, scene.camera, body, SequenceConfig(), fps=30.0, total=len(obs)))
    return {f.index: f for f in fits}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--fits", choices=("sequence", "perturbed"), default="sequence")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--readme", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    body = load_body_model("anny")
    ids, mf, _ = main_surface(body.faces)
    t0 = time.perf_counter()
    scene = make_turnaround(body, args.frames)
    t_render = time.perf_counter() - t0
    t0 = time.perf_counter()
    fits = sequence_fits(body, scene) if args.fits == "sequence" else perturbed_fits(body, scene)
    t_fit = time.perf_counter() - t0
    cfg = SubjectConfig(frames=args.frames, optim=OptimConfig(iterations=args.iterations),
                        texture=TextureConfig(size=512, frames=30))
    read = lambda i: (scene.images[i], scene.observations[i].mask >= 0.5)  # noqa: E731
    t0 = time.perf_counter()
    result = drive(make_avatar(scene.observations, fits, body, read, cfg))
    t_opt = time.perf_counter() - t0

    gt_c = scene.canonical[ids]
    shape0 = np.median(np.stack([f.params.shape for f in fits.values() if f.params is not None]), 0)
    with torch.no_grad():
        naked_c = body.rest_vertices(torch.as_tensor(shape0[None]))[0].numpy()[ids]
    rows = {"avatar (canonical)": chamfer_cm(result.vertices, result.faces, gt_c, mf),
            "naked body of the fits (canonical)": chamfer_cm(naked_c, mf, gt_c, mf)}
    first = min(result.posed)
    gt0 = scene.posed[first][ids]
    rows["avatar posed in frame 0"] = chamfer_cm(result.posed[first], result.faces, gt0, mf)
    fit0 = fits[first]
    with torch.no_grad():
        v0 = body(**body.tensors(fit0.params)).vertices[0].numpy()
    fit0.vertices = v0
    rows["naked fitted body, frame 0"] = chamfer_cm(v0[ids], mf, gt0, mf)
    from core.surface import reconstruct_surface

    t0 = time.perf_counter()
    surf = reconstruct_surface(scene.images[first], scene.observations[first], fit0, body)
    t_surf = time.perf_counter() - t0
    rows["single-image surface, frame 0 (core.surface)"] = chamfer_cm(surf.vertices, surf.faces,
                                                                      gt0, mf)
    errs = []
    for i in sorted(result.posed)[::6]:
        img, m = render_textured(result.posed[i], result.faces, scene.camera, result.uvs,
                                 result.face_uvs, result.texture)
        both = m & (scene.observations[i].mask >= 0.5)
        errs.append(np.abs(img[both].astype(float) - scene.images[i][both]).mean())
    ious = list(result.iou.values())
    lines = [f"| surface vs truth | Chamfer cm |", "|---|---:|"]
    lines += [f"| {k} | {v:.2f} |" for k, v in rows.items()]
    lines += ["", "| figure | value |", "|---|---:|",
              f"| frames used / iterations | {len(result.posed)} / {result.iterations} |",
              f"| silhouette IoU mean / min | {np.mean(ious):.3f} / {np.min(ious):.3f} |",
              f"| texture error, mean abs RGB (0-255) | {np.mean(errs):.1f} |",
              f"| per-frame fits ({args.fits}) | {t_fit / 60:.1f} min |",
              f"| avatar optimization + texture | {t_opt / 60:.1f} min |",
              f"| single-image surface | {t_surf:.1f} s |",
              f"| rendering the synthetic video | {t_render / 60:.1f} min |"]
    table = "\n".join(lines)
    print(table)
    import cv2

    art = Path(__file__).resolve().parents[1] / "tests" / "_artifacts"
    art.mkdir(parents=True, exist_ok=True)
    pic = np.concatenate([turntable_views(result.vertices, result.faces, 384, uvs=result.uvs,
                                          face_uvs=result.face_uvs, texture=result.texture),
                          turntable_views(gt_c, mf, 384, uvs=result.uvs, face_uvs=result.face_uvs,
                                          texture=scene.texture)], 0)
    cv2.imwrite(str(art / "subject_bench_avatar_vs_truth.png"), cv2.cvtColor(pic, cv2.COLOR_RGB2BGR))
    if args.readme:
        readme = Path(__file__).resolve().parent / "README.md"
        text = readme.read_text() if readme.exists() else "# Benchmarks\n"
        head = "## Per-subject avatar"
        if head in text:
            start = text.index(head)
            nxt = text.find("\n## ", start + len(head))
            text = text[:start].rstrip() + "\n" + (text[nxt:] if nxt >= 0 else "")
        cmd = (f".venv/bin/python bench/subject_synthetic.py --frames {args.frames} "
               f"--iterations {args.iterations} --fits {args.fits} --readme")
        text = (text.rstrip() + f"\n\n{head}\n\n`{cmd}` (core/subject). A synthetic clothed "
                "subject (shirt, flared skirt as a displacement field, procedural UV texture) "
                "turns once around in front of the camera (360x480); the avatar is optimized "
                "against every frame and compared with the true clothed mesh. Machine: the "
                "shared 2-core box, under the load of the other engineers' jobs.\n\n"
                + table + "\n")
        readme.write_text(text)


if __name__ == "__main__":
    main()
