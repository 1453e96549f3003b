"""SequenceFitter: every frame of a video fitted together, window by window, streaming.

Frames are pushed one at a time (``push``) and come back as FrameFits once their window has been
fitted; ``finish`` flushes the rest. Memory is bounded by one window: observations lose their
masks on entry and only the last ``window.context`` fitted frames are kept as context.

Per frame, on entry: optional One-Euro filtering of the keypoints; left/right label swaps undone
against the previous frame (flips.py); classification as usable, "low_confidence" or
"no_person".

Once: one shape for the whole sequence, then frozen (LandmarkRig makes the frozen-shape body
cheap): the body's fit shape (BodyModel.fit_shape, where single-frame fits start), or with
``config.shape.start`` off an estimate: the median of the temporal regressor's per-frame shapes
over the first window (no optimisation), or without the regressor the median of single-frame
fits (core.fitting) of the first confident frames.

Per window: a first guess per frame (the temporal regressor when its weights are installed, else
the analytic initializer of core.fitting, taking the orientation hypothesis closest to the
previous frame and refusing turns faster than ``flips.max_turn_degrees`` per frame), translation
solved linearly from the keypoints, then a few batched Adam steps of evidence + smoothness
(window_fit.py). Gaps (no person, low confidence) are overwritten by slerp/lerp between the
fitted frames around them; a gap at the end of a window waits for the next window's first
fitted frame.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import roma
import torch

from core.body.base import BodyModel
from core.body.params import BodyParams
from core.progress import NEVER, CancelToken
from core.types import Camera, FrameFit, Observation, Progress

from .bridge import bridge_params
from core.fitting import heuristic_init as hinit
from core.fitting.facing import facing_evidence, label_facing, toward_camera_of_rotation
from core.fitting.lifter import with_lifted_3d

from .config import SequenceConfig
from .flips import fix_swap
from .landmark_rig import LandmarkRig
from .one_euro import OneEuroFilter
from .ground import estimate_ground
from .orientation import candidate_energies, heading_candidates, viterbi
from .silhouette import PersonMask, crop_mask, silhouette_term
from .window_fit import (WindowParams, fit_window, smooth_translation, solve_translation,
                         window_evidence)

#: Torso and limb keypoints whose mean confidence decides whether a frame is usable.
_CORE = np.array([11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])


def _rotmat(v: np.ndarray) -> np.ndarray:
    return roma.rotvec_to_rotmat(torch.as_tensor(np.asarray(v, np.float64))).numpy()


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    """Angle in radians between two rotation matrices."""
    c = (np.trace(a.T @ b) - 1.0) / 2.0
    return float(np.arccos(np.clip(c, -1.0, 1.0)))


def _median_in_time(pose: np.ndarray, ok: list[bool], radius: int = 2) -> np.ndarray:
    """(T, P, 3) per-frame analytic pose guesses with each usable frame replaced by the median
    of the usable guesses within ``radius`` frames: one frame's wrong limb (a missed keypoint)
    does not start the fit far off."""
    out = pose.copy()
    good = np.flatnonzero(ok)
    for i in good:
        near = good[np.abs(good - i) <= radius]
        out[i] = np.median(pose[near], axis=0)
    return out


class SequenceFitter:
    """Streaming sequence fit of one person.

    body: the body model. camera: intrinsics of every frame. config: SequenceConfig.
    fps: frame rate (One-Euro filter; 30 when unknown). regressor: a TemporalRegressor, None to
    look for the installed one (when config.use_regressor), or False for none.
    """

    def __init__(self, body: BodyModel, camera: Camera, config: SequenceConfig | None = None,
                 *, fps: float = 30.0, regressor=None) -> None:
        self.body = body
        self.camera = camera
        self.config = config or SequenceConfig()
        self.fps = fps if fps and fps > 0 else 30.0
        if regressor is None and self.config.use_regressor:
            from .regressor import load_regressor

            regressor = load_regressor(body)
        self.regressor = regressor or None
        self.shape: np.ndarray | None = None
        self.rig: LandmarkRig | None = None
        self._rest_lm: np.ndarray | None = None
        self._pending: list[tuple[Observation, str]] = []   # (observation, "ok" | gap status)
        self._masks: dict[int, PersonMask] = {}   # cropped person masks of pending frames
        self._context: WindowParams | None = None
        self._last_params: BodyParams | None = None
        self._prev_obs: Observation | None = None
        self._prev_rot: np.ndarray | None = None
        self._filter = OneEuroFilter(self.config.one_euro, self.fps)
        self._facing: dict[int, float] = {}       # frame index -> label-free facing evidence
        self._ground_history = np.zeros((0, 33, 3), np.float32)   # fitted landmarks, recent
        self.ground = None
        """The floor (core.temporal.ground.Ground) once the fitted frames show it, else None."""
        self._facing_radius = int(round(self.config.flips.facing_seconds * self.fps))
        self._facing_past: list[float] = []       # evidence of the last frames already emitted
        self.swaps = 0
        """Frames whose left/right labels were swapped back so far."""
        self.relabels = 0
        """Frames relabelled because the facing evidence contradicted the detector's reading."""

    # ---- entry ------------------------------------------------------------------------------
    def _prepare(self, obs: Observation) -> tuple[Observation, str]:
        obs = obs.without_mask()
        if not obs.person:
            self._filter.reset()
            return obs, "no_person"
        c = self.config
        self._facing[obs.index] = facing_evidence(obs, hands=False)   # time does their work
        if c.one_euro.enabled:
            from .flips import person_height_px

            kp = obs.keypoints2d
            kp[:, :2] = self._filter(kp[:, :2], person_height_px(kp), kp[:, 2] >= 0.3)
        obs, swapped = fix_swap(obs, self._prev_obs, c.flips)
        self.swaps += int(swapped)
        if float(obs.keypoints2d[_CORE, 2].mean()) < c.gaps.min_confidence:
            return obs, "low_confidence"
        self._prev_obs = obs        # the detector's own reading, which fix_swap compares
        # the guesses and the 3D term read the 3D through the lifter's blend (core.fitting.lifter)
        return with_lifted_3d(obs, self.camera, c.evidence.lifted_3d, self.body.device), "ok"

    @property
    def uses_masks(self) -> bool:
        """Whether pushed masks are used (the silhouette term is on)."""
        sc = self.config.silhouette
        return sc.weight > 0 and sc.steps > 0

    def push(self, observation: Observation, person_mask: PersonMask | None = None
             ) -> list[FrameFit]:
        """Add the next frame's observation; returns the frames whose fit is now final (in
        order, possibly none).

        person_mask: the frame's mask already cut down (core.temporal.silhouette.crop_mask);
        None: cut from ``observation.mask`` when there is one. Kept only until the frame's window
        is fitted, and only while the silhouette term is on.
        """
        if self.uses_masks and observation.person:
            if person_mask is None:
                person_mask = crop_mask(observation, self.camera, self.config.silhouette.crop_px)
            if person_mask is not None:
                self._masks[observation.index] = person_mask
        self._pending.append(self._prepare(observation))
        out = self._drop_long_gap(final=False)
        if self.shape is None:
            usable = sum(s == "ok" for _, s in self._pending)
            need = 1 if self.config.shape.start else \
                self.config.window.size if self._shape_from_regressor else self.config.shape.frames
            if usable >= need or len(self._pending) >= 4 * self.config.window.size:
                self._estimate_shape()
        while self.shape is not None and len(self._pending) >= self.config.window.size:
            fits = self._process(self.config.window.size, final=False)
            if not fits:
                break
            out += fits
        self._forget_masks()
        return out

    def _forget_masks(self) -> None:
        """Drop the masks of frames no longer waiting (given up as gaps): memory stays one
        window."""
        if self._masks:
            waiting = {o.index for o, _ in self._pending}
            self._masks = {k: v for k, v in self._masks.items() if k in waiting}

    def finish(self) -> list[FrameFit]:
        """Fit and return every frame still waiting (end of the stream)."""
        out = self._drop_long_gap(final=True)
        if self.shape is None:
            self._estimate_shape()
        while self._pending:
            if self.shape is None:      # nobody in the whole sequence
                out += [FrameFit(o.index, "no_person", self.camera) for o, _ in self._pending]
                self._pending = []
                break
            out += self._process(min(len(self._pending), self.config.window.size), final=True)
        self._masks = {}
        return out

    def _drop_long_gap(self, final: bool) -> list[FrameFit]:
        """A run of gap frames at the front longer than max_bridge (or any run at the end of a
        stream with nothing fitted before it) is given up as 'no_person'."""
        n = 0
        while n < len(self._pending) and self._pending[n][1] != "ok":
            n += 1
        lonely_end = final and n == len(self._pending) and self._last_params is None
        if n == 0 or (n <= self.config.gaps.max_bridge and not lonely_end):
            return []
        out = [FrameFit(o.index, "no_person", self.camera) for o, _ in self._pending[:n]]
        self._pending = self._pending[n:]
        self._context = None
        self._last_params = None
        self._prev_rot = None
        return out

    # ---- shape ------------------------------------------------------------------------------
    @property
    def _learned_guess(self) -> bool:
        return self.regressor is not None and self.config.guess == "regressor"

    @property
    def _shape_from_regressor(self) -> bool:
        return self.regressor is not None and self.config.shape.from_regressor

    def _estimate_shape(self) -> None:
        from core.fitting import FitConfig, Iterations, fit_observation

        usable = [o for o, s in self._pending if s == "ok"]
        if not usable:
            return
        if self.config.shape.start:
            self._set_shape(self.body.fit_shape())
            return
        if self._shape_from_regressor:
            usable = usable[: self.config.window.size]
            _, _, shapes = self.regressor.predict(usable, [True] * len(usable), self.camera)
            self._set_shape(np.median(shapes, 0).astype(np.float32))
            return
        usable = sorted(usable, key=lambda o: -float(o.keypoints2d[_CORE, 2].mean()))
        usable = sorted(usable[: self.config.shape.frames], key=lambda o: o.index)
        sc = self.config.shape
        cfg = FitConfig(iterations=Iterations(rigid=sc.rigid_iterations, body=sc.iterations),
                        silhouette=False)
        fits = [fit_observation(o, self.camera, self.body, cfg) for o in usable]
        fits = [f for f in fits if f.params is not None]
        if not fits:
            self.shape = self.body.mean_shape()
        else:
            self.shape = np.median(np.stack([f.params.shape for f in fits]), 0).astype(np.float32)
            if self._prev_rot is None and usable[0].index == self._pending[0][0].index:
                self._prev_rot = _rotmat(fits[0].params.global_orient)
        self._set_shape(self.shape)

    def _set_shape(self, shape: np.ndarray) -> None:
        """Freeze the sequence's shape (S,) and build its landmark rig."""
        self.shape = shape
        ids = None
        if self.uses_masks:
            from core.fitting.silhouette_term import surface_sample

            rest = self.body.rest_vertices(torch.as_tensor(shape, device=self.body.device)[None])
            ids = surface_sample(rest[0].detach().cpu().numpy(), self.body.faces,
                                 self.config.silhouette.vertices)
        self.rig = LandmarkRig(self.body, self.shape, ids)
        z = torch.zeros(1, 3, device=self.body.device)
        p = torch.zeros(1, self.body.num_pose_joints, 3, device=self.body.device)
        with torch.no_grad():
            self._rest_lm = self.rig(z, p, z)[0][0].cpu().numpy()

    # ---- facing ----------------------------------------------------------------------------
    def _window_facing(self, frames: list[tuple[Observation, str]]) -> np.ndarray:
        """(n,) facing evidence of the window's frames smoothed over +-facing_seconds
        (the emitted frames before the window included): a person turns slowly, while the
        detector's and the cues' mistakes come a few frames at a time."""
        r = self._facing_radius
        past = self._facing_past[-r:] if r > 0 else []
        raw = np.array(past + [self._facing.get(o.index, 0.0) if s == "ok" else 0.0
                               for o, s in frames], np.float64)
        if r <= 0:
            return raw[len(past):]
        csum = np.concatenate([[0.0], np.cumsum(raw)])
        cnt = np.concatenate([[0.0], np.cumsum(raw != 0)])
        i = np.arange(len(raw))
        lo, hi = np.maximum(i - r, 0), np.minimum(i + r + 1, len(raw))
        return ((csum[hi] - csum[lo]) / np.maximum(cnt[hi] - cnt[lo], 1.0))[len(past):]

    def _ray(self, obs: Observation) -> np.ndarray:
        """(3,) viewing ray through the person's hips (camera frame, unnormalised)."""
        c = self.camera
        u, v = 0.5 * (obs.keypoints2d[23, :2] + obs.keypoints2d[24, :2])
        return np.array([(u - c.cx) / c.fx, (v - c.cy) / c.fy, 1.0])

    # ---- first guess ------------------------------------------------------------------------
    def _guess(self, frames: list[tuple[Observation, str]]) -> WindowParams:
        """The window's first guess; frames the facing evidence says the detector read mirrored
        are relabelled in place (``frames`` is modified)."""
        facing = self._window_facing(frames)
        if self._learned_guess:
            go, bp = self._guess_learned(frames, facing)
        else:
            go, bp = self._guess_analytic(frames, facing)
        t = lambda x: torch.as_tensor(x, dtype=torch.float32, device=self.body.device)  # noqa: E731
        g, b = t(go), t(bp)
        n = len(frames)
        ev = window_evidence([o for o, _ in frames], [s == "ok" for _, s in frames], self.body,
                             self.config.evidence)
        with torch.no_grad():
            lm, _ = self.rig(g, b, torch.zeros(n, 3, device=self.body.device))
            tr = solve_translation(lm, ev.keypoints, ev.w2d, self.camera)
            ok = torch.as_tensor([s == "ok" for _, s in frames], dtype=torch.float32,
                                 device=tr.device)
            tr = smooth_translation(tr, ok * ev.w2d.sum(-1).clamp_max(1.0), self.config.window.basis)
        # gap frames: carry the neighbouring translation
        last = None if self._context is None else self._context.transl[-1]
        for i, (_, status) in enumerate(frames):
            if status == "ok":
                last = tr[i].clone()
            elif last is not None:
                tr[i] = last
        return WindowParams(g, b, tr)

    def _relabel(self, frames: list[tuple[Observation, str]], facing: np.ndarray) -> None:
        """Swap the labels of frames whose left/right labels say the person faces the other way
        than the smoothed, label-free evidence says clearly (the detector's mirror-image reading
        of a person seen from behind, or the reverse); side views keep the detector's labels."""
        need = self.config.flips.relabel_evidence
        for i, (obs, status) in enumerate(frames):
            if status == "ok" and abs(facing[i]) >= need and \
                    label_facing(obs) * np.sign(facing[i]) < -0.3:
                frames[i] = (obs.flipped(), status)
                self.relabels += 1

    def _guess_learned(self, frames: list[tuple[Observation, str]], facing: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
        """(global_orient (n, 3), body_pose (n, P, 3)): the temporal regressor's guess, with
        headings around its orientation and the analytic one (the detector's 3D torso) as
        candidates, each turned and placed on its keypoints, one path chosen through time
        (core.temporal.orientation). Frames read mirrored are relabelled first."""
        oc = self.config.orientation
        self._relabel(frames, facing)
        usable = [s == "ok" for _, s in frames]
        reading = [o for o, _ in frames]
        go, bp, _ = self.regressor.predict(reading, usable, self.camera)
        evidence = window_evidence(reading, usable, self.body, self.config.evidence)
        base = roma.rotvec_to_rotmat(torch.as_tensor(go, dtype=torch.float64)).numpy()
        n, h = len(frames), len(oc.yaw_steps_deg) + 1
        rots = np.tile(np.eye(3), (n, h, 1, 1))
        for i in range(n):
            cands = heading_candidates(base[i], oc.yaw_steps_deg)
            cands.append(hinit.orientation_hypotheses(reading[i], self._rest_lm)[0]
                         if usable[i] else base[i])
            rots[i] = np.stack(cands)
        poses = np.repeat(bp[:, None], h, 1)
        dev = self.body.device
        t = lambda x: torch.as_tensor(x, dtype=torch.float32, device=dev)  # noqa: E731
        energies, fitted = candidate_energies(self.rig, self.camera, evidence, t(rots), t(poses),
                                              t(facing), oc)
        prev = None if self._prev_rot is None else t(self._prev_rot)
        choice = viterbi(energies, fitted, usable, oc, prev)
        rots = fitted.cpu().numpy().astype(np.float64)
        P = self.body.num_pose_joints
        out_go = np.zeros((n, 3), np.float32)
        out_bp = np.zeros((n, P, 3), np.float32)
        prev_rot = self._prev_rot
        prev_pose = None if self._last_params is None else self._last_params.body_pose
        for i, (_, status) in enumerate(frames):
            if status != "ok":
                rot = prev_rot if prev_rot is not None else np.eye(3)
                pose = prev_pose if prev_pose is not None else np.zeros((P, 3))
            else:
                rot, pose = rots[i, choice[i]], bp[i]
            out_go[i] = hinit.rotvec(rot)
            out_bp[i] = pose
            prev_rot, prev_pose = rot, pose
        return out_go, out_bp

    def _guess_analytic(self, frames: list[tuple[Observation, str]], facing: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
        """(global_orient (n, 3), body_pose (n, P, 3)) from the analytic initializer: the
        orientation hypothesis closest to the previous frame (or the one the facing evidence
        agrees with), no turn faster than flips.max_turn_degrees unless the evidence is sure."""
        n = len(frames)
        P = self.body.num_pose_joints
        go = np.zeros((n, 3), np.float32)
        bp = np.zeros((n, P, 3), np.float32)
        need = self.config.flips.relabel_evidence
        self._relabel(frames, facing)
        max_turn = np.radians(self.config.flips.max_turn_degrees)
        prev_rot = self._prev_rot
        prev_pose = None if self._last_params is None else self._last_params.body_pose
        for i, (obs, status) in enumerate(frames):
            if status != "ok":
                rot = prev_rot if prev_rot is not None else np.eye(3)
                pose = prev_pose if prev_pose is not None else np.zeros((P, 3))
            else:
                sure = abs(facing[i]) >= need
                cands = hinit.orientation_hypotheses(obs, self._rest_lm)
                if sure:    # the turn the evidence agrees with first
                    ray = self._ray(obs)
                    cands.sort(key=lambda r: -toward_camera_of_rotation(r, ray) * facing[i])
                k = 0
                if prev_rot is not None and not sure:
                    k = int(np.argmin([_angle(prev_rot, r) for r in cands]))
                rot = cands[k]
                if prev_rot is not None and _angle(prev_rot, rot) > max_turn and not sure:
                    rot = prev_rot          # no body turns that fast: a flip of the guess
                pose = hinit.limb_pose(self.body, self._rest_lm, rot, obs)
            go[i] = hinit.rotvec(rot)
            bp[i] = pose
            prev_rot, prev_pose = rot, pose
        return go, _median_in_time(bp, [s == "ok" for _, s in frames])

    # ---- one window -------------------------------------------------------------------------
    def _process(self, size: int, final: bool) -> list[FrameFit]:
        frames = self._pending[:size]
        ok = [s == "ok" for _, s in frames]
        if not any(ok):
            if final:
                fits = self._emit_bridged(frames, None)
                self._pending = self._pending[size:]
                return fits
            return []
        last_ok = max(i for i, v in enumerate(ok) if v)
        n = len(frames) if final else last_ok + 1
        frames = frames[:n]
        init = self._guess(frames)          # may relabel frames the facing evidence contradicts
        ev = window_evidence([o for o, _ in frames], ok[:n], self.body, self.config.evidence,
                             facing=self._window_facing(frames))
        self._facing_past += [self._facing.pop(o.index, 0.0) for o, _ in frames]
        self._facing_past = self._facing_past[-max(self._facing_radius, 1):]
        w = self.config.window
        sil = None
        if self._masks:
            masks = [self._masks.pop(o.index, None) for o, _ in frames]
            sil = [silhouette_term(m, o, self.config.silhouette, self.body.device)
                   if s == "ok" else None for m, (o, s) in zip(masks, frames)]
        if self._learned_guess:
            kw = {}
        else:   # jittery analytic guesses: per-frame unknowns, more and larger steps
            kw = dict(iterations=w.iterations_analytic, lr=w.lr_analytic, basis=w.basis_analytic)
        fitted = fit_window(self.rig, self.body, self.camera, ev, init, self._context,
                            self.config, silhouettes=sil, ground=self.ground, **kw)
        if self._update_ground(fitted, ok[:n]) and self._context is None:
            # the floor was first found on this very window: fit it once more standing on it
            fitted = fit_window(self.rig, self.body, self.camera, ev, fitted, None, self.config,
                                silhouettes=sil, ground=self.ground, **kw)
        params = self._to_params(fitted)
        # gaps: interpolate between the fitted frames around them
        before = self._last_params
        i = 0
        while i < n:
            if ok[i]:
                before = params[i]
                i += 1
                continue
            j = i
            while j < n and not ok[j]:
                j += 1
            after = params[j] if j < n else None
            params[i:j] = bridge_params(before, after, j - i)
            i = j
        fits = self._emit(frames, params, ev)
        self._pending = self._pending[n:]
        c = self.config.window.context
        ctx = WindowParams.cat([self._context, self._window_of(params)]) if self._context is not None \
            else self._window_of(params)
        self._context = ctx.slice(max(0, len(ctx) - c), len(ctx)) if c > 0 else None
        self._last_params = params[-1]
        self._prev_rot = _rotmat(params[-1].global_orient)
        return fits

    def _update_ground(self, fitted: WindowParams, usable: list[bool]) -> bool:
        """Add the window's fitted frames to the floor's evidence and re-estimate it; True when
        the floor was found for the first time."""
        gc = self.config.ground
        if not gc.enabled:
            return False
        with torch.no_grad():
            lm, _ = self.rig(fitted.global_orient, fitted.body_pose, fitted.transl)
        keep = lm.cpu().numpy()[np.asarray(usable, bool)]
        self._ground_history = np.concatenate([self._ground_history, keep])[-gc.history:]
        first = self.ground is None
        self.ground = estimate_ground(self._ground_history, gc.min_frames, gc.max_tilt_deg,
                                      gc.still_m) or self.ground
        return first and self.ground is not None

    def _to_params(self, w: WindowParams) -> list[BodyParams]:
        go, bp, tr = (x.cpu().numpy() for x in (w.global_orient, w.body_pose, w.transl))
        return [BodyParams(self.body.name, go[i], bp[i], self.shape, tr[i]) for i in range(len(tr))]

    def _window_of(self, params: list[BodyParams]) -> WindowParams:
        t = self.body.tensors(params)
        return WindowParams(t["global_orient"], t["body_pose"], t["transl"])

    def _emit_bridged(self, frames, after) -> list[FrameFit]:
        if self._last_params is None:
            return [FrameFit(o.index, "no_person", self.camera) for o, _ in frames]
        params = bridge_params(self._last_params, after, len(frames))
        fits = self._emit(frames, params, None)
        self._last_params = params[-1]
        return fits

    @torch.no_grad()
    def _emit(self, frames, params: list[BodyParams], ev) -> list[FrameFit]:
        from core.fitting import reprojection_error

        t = self.body.tensors(params)
        lm, joints = self.rig(t["global_orient"], t["body_pose"], t["transl"])
        verts = None
        if self.config.vertices:
            verts = self.body.forward(t["global_orient"], t["body_pose"],
                                      t["shape"][:1], t["transl"]).vertices.cpu().numpy()
        lm, joints = lm.cpu().numpy(), joints.cpu().numpy()
        out = []
        for i, ((obs, status), p) in enumerate(zip(frames, params)):
            st = "fitted" if status == "ok" else ("bridged" if status == "no_person" else status)
            err = reprojection_error(lm[i], obs, self.camera) if obs.person else float("nan")
            out.append(FrameFit(index=obs.index, status=st, camera=self.camera, params=p,
                                vertices=None if verts is None else verts[i], joints=joints[i],
                                landmarks=lm[i], error=err))
        return out


def fit_sequence(observations: Iterable[Observation], camera: Camera, body: BodyModel,
                 config: SequenceConfig | None = None, *, fps: float = 30.0, total: int = 0,
                 regressor=None, cancel: CancelToken = NEVER) -> Iterator[object]:
    """Job generator: fit a whole sequence of observations (in frame order) together.

    yields Progress("track", done, total) and each FrameFit as soon as it is final; returns the
    list of FrameFits (in frame order). Cancel ends it early with the frames finished so far.
    total: number of observations, for progress (0: unknown).
    """
    config = config or SequenceConfig()
    fitter = SequenceFitter(body, camera, config, fps=fps, regressor=regressor)
    fits: list[FrameFit] = []
    old_threads = torch.get_num_threads()
    if config.threads:
        torch.set_num_threads(config.threads)
    try:
        for obs in observations:
            if cancel.cancelled:
                return fits
            for f in fitter.push(obs):
                fits.append(f)
                yield f
            yield Progress("track", len(fits), total, f"frame {obs.index}")
        for f in fitter.finish():
            fits.append(f)
            yield f
        yield Progress("track", len(fits), total or len(fits), "done")
        return fits
    finally:
        if config.threads:
            torch.set_num_threads(old_threads)
