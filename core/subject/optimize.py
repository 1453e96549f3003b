"""optimize_subject: one clothed avatar against every used frame of a video (SelfRecon's role).

Variables: a clothing displacement per body vertex along its rest normal (avatar.py), the shape
shared by all frames, and every frame's orientation, pose and translation (started from the
sequence fit). Each Adam step poses the avatar into ``batch`` frames with the body model's own
skinning, on a subset of vertices (skinning cost is proportional to it: half a fixed set spread
evenly over the surface by area, which the silhouette's cover term uses, half fresh random
ones), and sums per frame: the silhouette loss against the person mask
(core.render.silhouette), the robust keypoint reprojection, the pose prior and a pull towards
the frame's sequence fit; plus, once, the Laplacian smoothness and size limits of the
displacement and the shape prior. Every ``full_every``-th step also moves the body poses and
the shape; the others reuse cached skinning transforms (posing.py), which is what makes a
hundred frames affordable on a CPU.

Every ``eval_every`` steps the full objective is evaluated on every used frame with a fixed
vertex subset (deterministic); the lowest one is the best avatar so far. Cancel returns it, and
a run resumed from a SubjectState continues from it (its iteration count and step-size schedule
included; Adam's moments restart).

Then, ``final_rounds`` times: every frame's pose against the clothed best avatar
(RefineConfig.final_steps), and a clothing-only round against those poses
(OptimConfig.final_clothing); each replaces the best state only when the objective goes down.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator

import numpy as np
import torch

from core.body.base import BodyModel, FreeShape
from core.errors import StudioError
from core.progress import NEVER, CancelToken
from core.types import Progress

from .avatar import AvatarGeometry
from .config import SubjectConfig
from .frames import SubjectFrame, stack_params
from .posing import FramePoser
from .refine import RefinedPoses, frame_weights, keypoint_energy, refine_poses
from .regions import displacement_bounds
from .silhouettes import FrameSilhouettes
from .result import AvatarSnapshot
from .state import SubjectState

#: Seed of the fixed vertex subset the evaluations use.
EVAL_SEED = 12345


class _Variables:
    """The optimized tensors, their starting values, and their conversion to a SubjectState."""

    def __init__(self, body: BodyModel, geom: AvatarGeometry, frames: list[SubjectFrame],
                 state: SubjectState | None) -> None:
        dt, dev = body.dtype, body.device
        t = lambda a: torch.as_tensor(np.asarray(a), dtype=dt, device=dev)  # noqa: E731
        init = stack_params(frames, body)
        self.go0, self.bp0, self.tr0 = init["global_orient"], init["body_pose"], init["transl"]
        self.frame_weights = torch.ones(len(frames), dtype=dt, device=dev)
        if state is not None and state.reference_body_pose is not None:
            self.go0, self.bp0, self.tr0 = (t(state.reference_global_orient),
                                            t(state.reference_body_pose), t(state.reference_transl))
        if state is not None and state.frame_weights is not None:
            self.frame_weights = t(state.frame_weights)
        if state is not None:
            _check_state(state, body, frames)
            go, bp, tr, shape = t(state.global_orient), t(state.body_pose), t(state.transl), t(state.shape)
            disp, self.normals = t(state.displacement), t(state.normals)
        else:
            go, bp, tr = self.go0.clone(), self.bp0.clone(), self.tr0.clone()
            shape = init["shape"].median(0).values
            disp = torch.zeros(body.num_vertices, dtype=dt, device=dev)
            self.normals = geom.rest_normals(shape)
        self._shape = FreeShape(body, shape.detach().cpu().numpy(), margin=1e-4)
        self.disp = disp.clone().requires_grad_(True)
        self.go = go.clone().requires_grad_(True)
        self.bp = bp.clone().requires_grad_(True)
        self.tr = tr.clone().requires_grad_(True)

    @torch.no_grad()
    def load(self, state: SubjectState) -> None:
        """Set the optimized tensors to those of ``state`` (of the same run)."""
        t = lambda a: torch.as_tensor(a, dtype=self.disp.dtype, device=self.disp.device)  # noqa: E731
        self.disp.copy_(t(state.displacement))
        self.go.copy_(t(state.global_orient))
        self.bp.copy_(t(state.body_pose))
        self.tr.copy_(t(state.transl))
        self._shape.set(state.shape)

    @torch.no_grad()
    def start_from(self, refined: RefinedPoses, robust: float) -> None:
        """Take refined per-frame poses as the start and the drift anchor, and the robust
        per-frame weights of their remaining silhouette error."""
        for var, anchor, value in ((self.go, "go0", refined.global_orient),
                                   (self.bp, "bp0", refined.body_pose),
                                   (self.tr, "tr0", refined.transl)):
            var.copy_(value)
            setattr(self, anchor, value.clone())
        self.frame_weights = frame_weights(refined.silhouette, robust).to(self.disp.dtype)

    @property
    def shape_free(self) -> torch.Tensor:
        """The shape's free variables (FreeShape.free: Anny's phenotype logits)."""
        return self._shape.free

    def shape(self) -> torch.Tensor:
        """(1, S) shape parameters (Anny: phenotypes, then the fixed stature scale if any)."""
        return self._shape.value()

    def offsets(self) -> torch.Tensor:
        """(V, 3) canonical-frame clothing offsets, metres."""
        return self.disp[:, None] * self.normals

    @torch.no_grad()
    def to_state(self, body: BodyModel, frames: list[SubjectFrame], iteration: int,
                 loss: float) -> SubjectState:
        n = lambda x: x.detach().cpu().numpy().astype(np.float32)  # noqa: E731
        return SubjectState(body.name, n(self.disp), n(self.normals), n(self.offsets()),
                            n(self.shape()[0]), np.array([f.index for f in frames], np.int64),
                            n(self.go), n(self.bp), n(self.tr), int(iteration), float(loss),
                            n(self.go0), n(self.bp0), n(self.tr0), n(self.frame_weights))


def _check_state(state: SubjectState, body: BodyModel, frames: list[SubjectFrame]) -> None:
    if state.model != body.name or len(state.displacement) != body.num_vertices:
        raise StudioError(f"The saved avatar state is for body model '{state.model}', not "
                          f"'{body.name}'; resume with the same body model or start afresh.")
    if [int(i) for i in state.frame_indices] != [f.index for f in frames]:
        raise StudioError("The saved avatar state was optimized on other frames; resume with "
                          "the same input and --frames, or start afresh.")


class _Objective:
    """The energy of the avatar in a set of frames (see the module docstring)."""

    def __init__(self, body: BodyModel, geom: AvatarGeometry, frames: list[SubjectFrame],
                 config: SubjectConfig, v: _Variables) -> None:
        self.body, self.geom, self.frames, self.cfg, self.v = body, geom, frames, config, v
        dt, dev = body.dtype, body.device
        self.kp = torch.as_tensor(np.stack([f.keypoints for f in frames]), dtype=dt, device=dev)
        self.kpw = torch.as_tensor(np.stack([f.kp_weights for f in frames]), dtype=dt, device=dev)
        t = lambda a: torch.as_tensor(np.asarray(a), dtype=dt, device=dev)  # noqa: E731
        self.scale = t([f.person_scale for f in frames])
        self.intr = tuple(t([getattr(f.camera, a) for f in frames]) for a in ("fx", "fy", "cx", "cy"))
        self.poser = FramePoser(body, v.shape().detach(), v.bp.detach())
        self.silhouettes = FrameSilhouettes([f.silhouette for f in frames])
        self.lo, self.hi = displacement_bounds(body, config.limits)
        self.n_fixed = 0          # the first n_fixed vertex ids of every call are the fixed set

    def regularizers(self) -> torch.Tensor:
        w, v = self.cfg.weights, self.v
        d = v.disp
        lap = torch.sparse.mm(self.geom.laplacian, d[:, None])[:, 0]
        e = (w.laplacian * (lap / 0.01).pow(2).mean()
             + w.displacement_l2 * (d / 0.1).pow(2).mean())
        return e + w.shape_prior * self.body.shape_prior(v.shape())[0]

    def per_frame(self, rows: torch.Tensor, ids: torch.Tensor, full: bool) -> torch.Tensor:
        """(len(rows),) energy of the frames ``rows`` with the vertex subset ``ids``."""
        w, v = self.cfg.weights, self.v
        go, bp, tr = v.go[rows], v.bp[rows], v.tr[rows]
        shape = v.shape() if full else v.shape().detach()
        out = self.poser.pose(rows, go, bp, shape, tr, v.offsets(), ids, full)
        nf = self.n_fixed
        # Cover term on the fixed vertex subset only (the first nf): the nearest vertex of a
        # fresh random subset lies inside the outline on average, which would inflate the avatar.
        inside, cover = self.silhouettes.terms(rows, out.vertices, nf)
        sil = (inside + cover) * 100.0 * v.frame_weights[rows]
        kp = keypoint_energy(out.landmarks, self.kp[rows], self.kpw[rows], self.scale[rows],
                             *(x[rows] for x in self.intr))
        e = w.silhouette * sil + w.keypoints * kp
        drift = ((bp - v.bp0[rows]).pow(2).sum((1, 2)) + (go - v.go0[rows]).pow(2).sum(1)
                 + ((tr - v.tr0[rows]) / 0.1).pow(2).sum(1))
        return e + w.pose_prior * self.body.pose_prior(bp) + w.pose_drift * drift

    @torch.no_grad()
    def evaluate(self, ids: torch.Tensor) -> float:
        """The full objective over every frame (cached transforms, fixed vertex subset)."""
        n = len(self.frames)
        e = sum(float(self.per_frame(torch.arange(i, min(i + 16, n)), ids, False).sum())
                for i in range(0, n, 16))
        return e / n + float(self.regularizers())


def _cosine(step: int, total: int) -> float:
    return 0.1 + 0.45 * (1.0 + math.cos(math.pi * min(step, total) / max(total, 1)))


def optimize_subject(frames: list[SubjectFrame], body: BodyModel,
                     config: SubjectConfig | None = None, *, state: SubjectState | None = None,
                     cancel: CancelToken = NEVER) -> Iterator[object]:
    """Job generator: optimize one avatar against ``frames`` (see core/progress.py).

    frames: from ``prepare_frames``. state: resume from this SubjectState (same body model and
        frames); None starts from the frames' fits with no clothing.
    yields: Progress("optimize", iteration, iterations) and an AvatarSnapshot at every
        evaluation (and every ``snapshot_every`` steps).
    returns: the best SubjectState found (the lowest full objective; also what Cancel returns).
    raises: StudioError when ``state`` belongs to another body model or other frames.
    """
    config = config or SubjectConfig()
    old_threads = torch.get_num_threads()
    if config.optim.threads:
        torch.set_num_threads(config.optim.threads)
    try:
        return (yield from _run(frames, body, config, state, cancel))
    finally:
        if config.optim.threads:
            torch.set_num_threads(old_threads)


def _run(frames, body, config, state, cancel):
    oc, lr = config.optim, config.lr
    if not frames:
        raise StudioError("No frames to optimize the avatar against.")
    geom = AvatarGeometry(body)
    v = _Variables(body, geom, frames, state)
    if state is None and config.refine.steps > 0:
        refined = yield from refine_poses(frames, body, v.shape().detach(), v.go, v.bp, v.tr,
                                          FrameSilhouettes([f.silhouette for f in frames]),
                                          config, cancel=cancel)
        v.start_from(refined, config.refine.robust)
    obj = _Objective(body, geom, frames, config, v)
    n, V, dev = len(frames), body.num_vertices, body.device
    start = state.iteration if state is not None else 0
    total = max(oc.iterations, start)
    gen = torch.Generator().manual_seed(int(oc.seed) + start)
    k = min(oc.vertices, V)
    eval_ids = _spread_ids(body, k)                  # on the body's device
    fixed_ids = eval_ids[: max(k // 2, 1)]           # in every step: the cover term's vertices
    rest_mask = torch.ones(V, dtype=torch.bool, device=dev)
    rest_mask[fixed_ids] = False
    others = torch.nonzero(rest_mask)[:, 0]
    obj.n_fixed = len(fixed_ids)
    obj.eval_ids = eval_ids
    groups = [(v.disp, lr.displacement), (v.shape_free, lr.shape), (v.go, lr.orient),
              (v.bp, lr.pose), (v.tr, lr.transl)]
    opt = torch.optim.Adam([{"params": [p], "lr": r, "base": r} for p, r in groups])

    def snapshot(it: int, loss: float) -> AvatarSnapshot:
        with torch.no_grad():
            verts = (body.rest_vertices(v.shape())[0] + v.offsets()).cpu().numpy()
        return AvatarSnapshot(it, loss, best.best_loss, verts[geom.main_ids].astype(np.float32),
                              geom.main_faces)

    loss0 = obj.evaluate(eval_ids)
    best = v.to_state(body, frames, start, loss0)
    yield snapshot(start, loss0)
    yield Progress("optimize", start, total, f"loss {loss0:.4f}")
    batches = _Batches(gen, n, min(oc.batch, n), fixed_ids, others, k)
    t0 = time.perf_counter()
    for it in range(start + 1, total + 1):
        if cancel.cancelled:
            return best
        rows, ids = batches.next()
        full = oc.full_every <= 1 or it % oc.full_every == 0
        for g in opt.param_groups:
            g["lr"] = g["base"] * _cosine(it, total)
        opt.zero_grad(set_to_none=True)
        loss = obj.per_frame(rows, ids, full).mean() + obj.regularizers()
        loss.backward()
        if not full:                     # pose and shape did not take part: keep them still
            v.bp.grad = None
            v.shape_free.grad = None
        opt.step()
        with torch.no_grad():            # hard bounds: no clothing on hands, little on feet/face
            v.disp.copy_(torch.maximum(torch.minimum(v.disp, obj.hi), obj.lo))
        if full:                         # the shape's caches are refreshed before evaluations
            obj.poser.update(rows, v.bp.detach()[rows])
        if it % max(oc.eval_every, 1) == 0 or it == total:
            obj.poser.set_shape(v.shape(), v.bp.detach())
            e = obj.evaluate(eval_ids)
            if e < best.best_loss:
                best = v.to_state(body, frames, it, e)
            yield snapshot(it, e)
        elif oc.snapshot_every and it % oc.snapshot_every == 0:
            yield snapshot(it, float("nan"))
        rate = (it - start) / max(time.perf_counter() - t0, 1e-9)
        yield Progress("optimize", it, total,
                       f"loss {loss.item():.4f} (best {best.best_loss:.4f}), {rate:.1f} it/s")
    for _ in range(max(oc.final_rounds, 1)):
        best = yield from _final_poses(obj, v, body, frames, config, fixed_ids, best, total,
                                       cancel)
        best = yield from _final_clothing(obj, v, body, frames, config, fixed_ids, others, gen,
                                          best, total, cancel)
    return best


def _final_poses(obj, v, body, frames, config, ids, best, iteration, cancel):
    """The last pass (RefineConfig.final_steps): every frame's orientation, pose and translation
    against the clothed best avatar, all frames in one batch, clothing and shape held; the
    result replaces the best state only when the full objective went down."""
    rc = config.refine
    if rc.final_steps <= 0 or cancel.cancelled:
        return best
    v.load(best)
    rows = torch.arange(len(frames), device=body.device)
    obj.n_fixed = len(ids)
    opt = torch.optim.Adam([{"params": [v.bp], "lr": rc.lr_pose, "base": rc.lr_pose},
                            {"params": [v.go], "lr": rc.lr_orient, "base": rc.lr_orient},
                            {"params": [v.tr], "lr": rc.lr_transl, "base": rc.lr_transl}])
    v.disp.requires_grad_(False)
    v.shape_free.requires_grad_(False)
    try:
        for step in range(1, rc.final_steps + 1):
            if cancel.cancelled:
                return best
            for g in opt.param_groups:
                g["lr"] = g["base"] * _cosine(step, rc.final_steps)
            opt.zero_grad(set_to_none=True)
            obj.per_frame(rows, ids, True).sum().backward()
            opt.step()
            yield Progress("poses", step, rc.final_steps, "every frame's pose against the avatar")
    finally:
        v.disp.requires_grad_(True)
        v.shape_free.requires_grad_(True)
    obj.poser.set_shape(v.shape(), v.bp.detach())
    e = obj.evaluate(obj.eval_ids)
    return v.to_state(body, frames, iteration, e) if e < best.best_loss else best


def _spread_ids(body: BodyModel, k: int) -> torch.Tensor:
    """(k,) vertex ids spread evenly over the body's surface, in a seeded random order (so the
    first half, the cover term's fixed subset, spreads evenly too).

    Drawn by area, not uniformly by id: a body mesh is far denser on the face and hands than on
    the torso and legs, and a uniform draw leaves gaps along the legs' outline that the
    cover term then closes by inflating the clothing. Taken on the body's mean shape, so a
    resumed run evaluates the same subset."""
    from core.fitting.silhouette_term import surface_sample

    with torch.no_grad():
        rest = body.rest_vertices(torch.as_tensor(body.mean_shape(), dtype=body.dtype,
                                                  device=body.device)[None])[0].cpu().numpy()
    ids = surface_sample(rest, body.faces, k, seed=EVAL_SEED)
    ids = np.random.default_rng(EVAL_SEED).permutation(ids)
    return torch.as_tensor(ids, device=body.device)


class _Batches:
    """What one optimizer step sees: ``b`` frames drawn without replacement until every frame
    has been used (then a new permutation), and ``k`` vertices: the fixed cover-term subset plus
    fresh random others."""

    def __init__(self, gen: torch.Generator, n: int, b: int, fixed_ids: torch.Tensor,
                 others: torch.Tensor, k: int) -> None:
        self.gen, self.n, self.b = gen, n, b
        self.fixed_ids, self.others, self.k = fixed_ids, others, k
        self.order = torch.empty(0, dtype=torch.int64)

    def next(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(frame rows (b,), vertex ids (k,))."""
        if len(self.order) < self.b:
            self.order = torch.cat([self.order, torch.randperm(self.n, generator=self.gen)])
        rows, self.order = self.order[:self.b], self.order[self.b:]
        pick = torch.randperm(len(self.others), generator=self.gen)[:self.k - len(self.fixed_ids)]
        return rows, torch.cat([self.fixed_ids, self.others[pick]])


def _final_clothing(obj, v, body, frames, config, fixed_ids, others, gen, best, iteration,
                    cancel):
    """A last clothing round (OptimConfig.final_clothing steps) after the final pose pass: the
    clothing alone moves against the frames posed as that pass left them (cached transforms,
    batches of frames, the fixed cover-term subset plus fresh random vertices every step, so
    every vertex is checked); the result replaces the best state only when the full objective
    went down."""
    oc, steps = config.optim, config.optim.final_clothing
    if steps <= 0 or cancel.cancelled:
        return best
    v.load(best)
    obj.poser.set_shape(v.shape(), v.bp.detach())
    n, k = len(frames), min(oc.vertices, body.num_vertices)
    batches = _Batches(gen, n, min(oc.batch, n), fixed_ids, others, k)
    base = config.lr.displacement * oc.final_clothing_lr
    opt = torch.optim.Adam([v.disp], lr=base)
    for step in range(1, steps + 1):
        if cancel.cancelled:
            return best
        rows, ids = batches.next()
        opt.param_groups[0]["lr"] = base * _cosine(step, steps)
        opt.zero_grad(set_to_none=True)
        (obj.per_frame(rows, ids, False).mean() + obj.regularizers()).backward()
        opt.step()
        with torch.no_grad():
            v.disp.copy_(torch.maximum(torch.minimum(v.disp, obj.hi), obj.lo))
        yield Progress("clothing", step, steps, "the clothing against the final poses")
    e = obj.evaluate(obj.eval_ids)
    return v.to_state(body, frames, iteration, e) if e < best.best_loss else best
