"""The closed-form first guess of a retarget: every pose joint, parents first, turns the body's
rest segments onto the clip's (Wahba's problem; a single direction is a swing plus a twist from
the bend plane below it). See core.priors.retarget for the whole method.
"""
from __future__ import annotations

import numpy as np

from .body_points import BodyPointTable
from .chain import BodyChain, Correspondence

def _unit(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-12), n[..., 0]


def _wahba(pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]], prior: np.ndarray,
           eps: float) -> np.ndarray:
    """(F, 3, 3) rotations R maximising sum w t . (R r) + eps tr(prior^T R).

    pairs: (target (F, 3), rest (F, 3) or (3,), weight (F,) or scalar)."""
    b = eps * prior
    for t, r, w in pairs:
        r = np.broadcast_to(r, t.shape)
        b = b + np.asarray(w, float).reshape(-1, 1, 1) * t[:, :, None] * r[:, None, :]
    u, _, vt = np.linalg.svd(b)
    d = np.sign(np.linalg.det(u @ vt))
    u[:, :, 2] *= d[:, None]
    return u @ vt


def _axis_angle(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    return Rotation.from_rotvec(axis * angle[:, None]).as_matrix()


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(F, 3, 3) the shortest rotations taking unit vectors a to b (F, 3)."""
    axis, s = _unit(np.cross(a, b))
    c = np.einsum("fi,fi->f", a, b)
    flip = s < 1e-8
    if flip.any():   # parallel or opposite: any perpendicular axis
        perp = np.cross(a[flip], np.eye(3)[np.argmin(np.abs(a[flip]), 1)])
        axis[flip] = _unit(perp)[0]
    return _axis_angle(axis, np.arctan2(s, c))


def _twist(u: np.ndarray, pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> np.ndarray:
    """(F,) angle about unit axes u (F, 3) that best turns the (current, target, weight)
    vectors of ``pairs`` onto each other (0 where no pair has weight)."""
    num = np.zeros(len(u))
    den = np.full(len(u), 1e-9)
    for a, t, w in pairs:
        a_p = a - np.einsum("fi,fi->f", a, u)[:, None] * u
        t_p = t - np.einsum("fi,fi->f", t, u)[:, None] * u
        num += np.asarray(w) * np.einsum("fi,fi->f", u, np.cross(a_p, t_p))
        den += np.asarray(w) * np.einsum("fi,fi->f", a_p, t_p)
    return np.arctan2(num, den)


def _spread(chain: BodyChain, members: list[int], below: list[int], prior: np.ndarray,
            guess: np.ndarray, pos_c: np.ndarray, dir_c: np.ndarray, rest: np.ndarray,
            src: np.ndarray, w_pos: np.ndarray, corr: Correspondence, dir_rest: np.ndarray,
            anchor: int, iterations: int = 5) -> np.ndarray:
    """(F, n, 3, 3) world rotations of a spread group's n members, each turning by the same
    step: the step whose chain best points the group's targets at the clip's. A rigid guess
    under-turns a bent chain (its lower points turn by part of the bend only), so the total is
    corrected a few times by the rotation still left between posed and target directions."""
    from scipy.spatial.transform import Rotation

    n = len(members)
    total = np.einsum("fji,fjk->fik", prior, guess)                    # relative to the parent
    carriers = list(members) + list(below)
    keys = [k for k in np.nonzero(np.isin(pos_c[:-1], carriers))[0]]
    dkeys = [k for k in np.nonzero(np.isin(dir_c, carriers))[0]]
    piv = chain.rest_pivot
    a_pos = np.einsum("fij,j->fi", prior, rest[anchor] - piv[members[0]])
    for _ in range(iterations):
        step = Rotation.from_rotvec(Rotation.from_matrix(total).as_rotvec() / n).as_matrix()
        w = {}
        p = {}
        cur, cur_p = prior, np.zeros_like(a_pos)
        for i, m in enumerate(members):
            if i:
                cur_p = cur_p + np.einsum("fij,j->fi", cur, piv[m] - piv[members[i - 1]])
            cur = cur @ step
            w[m], p[m] = cur, cur_p
        for b in below:   # at rest below the group's last member
            last = members[-1]
            w[b] = w[last]
            p[b] = p[last] + np.einsum("fij,j->fi", w[last], piv[b] - piv[last])
        pairs = []
        for k in keys:
            m = int(pos_c[k])
            v = p[m] + np.einsum("fij,j->fi", w[m], rest[k] - piv[m]) - a_pos
            t = src[:, k] - src[:, anchor]
            pairs.append((_unit(t)[0], _unit(v)[0], w_pos[k] * (0.5 if m in below else 1.0)))
        for k in dkeys:
            m = int(dir_c[k])
            v = np.einsum("fij,j->fi", w[m], dir_rest[k])
            pairs.append((corr.dir_src[:, k], v, corr.dir_w[k]))
        if not pairs:
            break
        # world rotation taking the posed directions onto the targets (rest = posed here)
        b_mat = sum(np.asarray(wt).reshape(-1, 1, 1) * t[:, :, None] * v[:, None, :]
                    for t, v, wt in pairs)
        u, _, vt = np.linalg.svd(b_mat + 1e-6 * np.eye(3))
        d = np.sign(np.linalg.det(u @ vt))
        u[:, :, 2] *= d[:, None]
        corr_rot = u @ vt
        total = np.einsum("fji,fjk,fkl,flm->fim", prior, corr_rot, prior, total)
    step = Rotation.from_rotvec(Rotation.from_matrix(total).as_rotvec() / n).as_matrix()
    out, cur = [], prior
    for _ in members:
        cur = cur @ step
        out.append(cur)
    return np.stack(out, 1)


def first_guess(chain: BodyChain, corr: Correspondence, table: BodyPointTable,
                prior_weight: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closed-form (rot_root (F, 3, 3), transl (F, 3), body_pose (F, P, 3)) per frame.

    Every pose joint turns the body's rest segments it carries (from the target next to its
    pivot to each target it moves) onto the clip's same segments: directions inside the clip
    only, so where a rig places its joints on the body does not bend the guess."""
    from scipy.spatial.transform import Rotation

    body = chain.body
    f = corr.pos_src.shape[0]
    n_c = len(chain.pose_bone) + 1
    base = chain.base_rest
    # position targets, plus the hips' midpoint as a virtual one (carried by the root)
    hip = [corr.pos_names.index(s) for s in ("hip_l", "hip_r")]
    src = np.concatenate([corr.pos_src, corr.pos_src[:, hip].mean(1, keepdims=True)], 1)
    rest = np.concatenate([corr.pos_rows @ base, (corr.pos_rows[hip] @ base).mean(0)[None]])
    w_pos = np.append(corr.pos_w, 1.0)
    mid = len(rest) - 1
    pos_c = np.append(chain.base_carrier[np.argmax(corr.pos_rows, 1)], 0)
    dir_rest = _unit(corr.dir_tip @ base - corr.dir_anchor @ base)[0]          # (Nd, 3)
    dir_c = chain.base_carrier[np.argmax(corr.dir_tip, 1)]
    children = {c: [k for k in range(1, n_c) if chain.parent[k] == c] for c in range(n_c)}
    slot = {n: i + 1 for i, n in enumerate(body.pose_joint_names)}
    groups = [[slot[n] for n in g if n in slot] for g in table.spread]
    group_of = {c: g for g in groups for c in g}
    hinges = {slot[n] for n in table.hinges if n in slot}
    roll = {slot[n]: names for n, names in table.roll.items() if n in slot}

    def ancestors(c: int) -> list[int]:
        out = []
        while c > 0:
            c = int(chain.parent[c])
            out.append(c)
        return out

    def anchor(c: int) -> int:
        """The target nearest to carrier c's pivot among those its ancestors carry."""
        cand = np.nonzero(np.isin(pos_c, ancestors(c)))[0]
        return int(cand[np.argmin(np.linalg.norm(rest[cand] - chain.rest_pivot[c], axis=1))])

    def segments(c_set: list[int], a: int, weight: float) -> list:
        """(target, rest, weight) unit pairs: segments a -> every target c_set carries, and
        the directions c_set carries."""
        out = []
        for k in np.nonzero(np.isin(pos_c[:-1], c_set))[0]:
            t, n = _unit(src[:, k] - src[:, a])
            r, rn = _unit(rest[k] - rest[a])
            if rn > 1e-3:
                out.append((t, r, weight * w_pos[k] * (n > 1e-3)))
        for k in np.nonzero(np.isin(dir_c, c_set))[0]:
            out.append((corr.dir_src[:, k], dir_rest[k], weight * corr.dir_w[k]))
        return out

    rot = np.zeros((f, n_c, 3, 3))
    pairs = [(t, r, w) for t, r, w in segments([0], mid, 1.0)]
    trunk = [k for k, n in enumerate(corr.pos_names) if n.startswith("spine:") or n == "neck"]
    if trunk:   # the lowest trunk point fixes the pelvis's forward tilt
        t, _ = _unit(src[:, trunk[0]] - src[:, mid])
        pairs.append((t, _unit(rest[trunk[0]] - rest[mid])[0], 0.5))
    rot[:, 0] = _wahba(pairs, np.broadcast_to(np.eye(3), (f, 3, 3)), 1e-3)
    transl = src[:, mid] - np.einsum("fij,j->fi", rot[:, 0], rest[mid])

    done: set[int] = {0}
    for p in chain.order:
        c = p + 1
        if c in done:
            continue
        members = group_of.get(c, [c])
        prior = rot[:, int(chain.parent[c])]
        a = anchor(c)
        prim = segments(members, a, 1.0)
        below = [k for k in children[members[-1]] if k not in group_of]
        if len(members) > 1:   # a spread group: what hangs below it counts too, rigidly
            prim += segments(below, a, 0.5)
        if len(prim) == 1:     # one direction: swing, then a twist from the bend below
            t, r, w = prim[0]
            r_pre = np.einsum("fij,fj->fi", prior, np.broadcast_to(r, t.shape))
            r1 = _swing(r_pre, t) @ prior
            sec = []
            for k in below:
                if k in hinges:   # the child's bend plane: (this segment) x (its segment)
                    for tk, rk, wk in segments([k], anchor(k), 1.0):
                        n_t, s_t = _unit(np.cross(t, tk))
                        n_r, s_r = _unit(np.cross(r, rk))
                        if s_r > 0.05:
                            sec.append((np.einsum("fij,j->fi", r1, n_r), n_t, 0.5 * wk * s_t))
                        # a straight child passes the twist on: its own child's bend plane
                        # (a straight knee turns the thigh with the foot)
                        for g in (g for g in children[k] if g in hinges):
                            for tg, rg, wg in segments([g], anchor(g), 1.0):
                                n_t2, s_t2 = _unit(np.cross(tk, tg))
                                n_r2, s_r2 = _unit(np.cross(rk, rg))
                                if s_r2 > 0.05:
                                    sec.append((np.einsum("fij,j->fi", r1, n_r2), n_t2,
                                                0.5 * wg * s_t2 * np.clip(1 - 2 * s_t, 0, 1)))
                for d in (i for i, n in enumerate(corr.dir_names) if n in roll.get(k, ())):
                    tk, rk = corr.dir_src[:, d], dir_rest[d]   # as if the child were at rest
                    sec.append((np.einsum("fij,j->fi", r1, rk), tk, 0.3 * corr.dir_w[d]))
            r_c = _axis_angle(t, _twist(t, sec)) @ r1 if sec else r1
        elif prim:
            r_c = _wahba(prim, prior, prior_weight)
        else:
            r_c = prior
        if len(members) == 1:
            rot[:, c] = r_c
        else:
            rot[:, members] = _spread(chain, members, below, prior, r_c, pos_c, dir_c, rest, src,
                                      w_pos, corr, dir_rest, a)
        done.update(members)
    rel = np.einsum("fpji,fpjk->fpik", rot[:, chain.parent[1:]], rot[:, 1:])
    body_pose = Rotation.from_matrix(rel.reshape(-1, 3, 3)).as_rotvec().reshape(f, -1, 3)
    return rot[:, 0], transl, body_pose
