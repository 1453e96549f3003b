"""glTF 2.0 binary (.glb) files through pygltflib: static meshes, and skinned + animated bodies.

``write_glb`` writes one mesh as given (vertex colours as COLOR_0, or a UV texture as the
base-colour texture), like ``mesh_io.write_obj``: convert camera-frame vertices with
``camera_to_upright`` first for the glTF convention (Y up, facing +Z).
``write_skinned_glb`` writes a body or an avatar bound to the body model's skeleton
(core.export.rig: the joint hierarchy with humanoid names, inverse bind matrices, four
influences per vertex) with one animation: a rotation channel for every joint that moves and
the root's translation, keyframes at the motion's times (LINEAR). The bind pose is the body's zero
pose with the root at the origin; the file is upright (``orientation="upright"``) or in the camera
frame (``"camera"``), recorded in ``asset.extras["frame"]``.
``read_glb`` reads such a file back (any glTF with one skinned or static mesh primitive) and poses
it at any time from the file's own nodes, skin and animation: the 3D viewer plays it with that,
and the tests check it against the fitted bodies.

Textures: OBJ's v-up texture coordinates become glTF's v-down ones (v -> 1 - v); vertices are
split along UV seams (glTF keeps one UV per vertex).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .rig import Motion, Skeleton, Skin, frame_matrix, world_matrix

_FLOAT, _USHORT, _UINT, _UBYTE = 5126, 5123, 5125, 5121
_ARRAY, _ELEMENTS = 34962, 34963
_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
GENERATOR = "human studio (core.export.gltf, pygltflib)"


def split_uv_seams(faces: np.ndarray, face_uvs: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                        np.ndarray]:
    """One point per distinct (vertex, uv) corner pair, so per-point texture coordinates can
    follow a UV layout with seams (glTF and VTK keep one uv per point).

    faces, face_uvs: (F, 3) int. returns: vertex_of_point (P,) int64 rows of the vertices,
    uv_of_point (P,) int64 rows of the uvs, new_faces (F, 3) int64 into the points.
    """
    pairs = np.stack([np.asarray(faces, np.int64).ravel(),
                      np.asarray(face_uvs, np.int64).ravel()], 1)
    unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
    return unique[:, 0], unique[:, 1], inverse.reshape(-1, 3).astype(np.int64)


def _vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    from core.render.overlay import vertex_normals

    n = vertex_normals(vertices, faces)
    bad = ~np.isfinite(n).all(1) | (np.linalg.norm(n, axis=1) < 0.5)
    n[bad] = (0.0, 1.0, 0.0)                        # unreferenced vertices: any unit normal
    return n.astype(np.float32)


def _rgba8(colors: np.ndarray) -> np.ndarray:
    """(V, 4) uint8 RGBA from uint8 (0-255) or float (0-1) RGB(A) colours."""
    c = np.asarray(colors)
    rgb = c[:, :3] if c.dtype == np.uint8 else np.round(np.clip(c[:, :3], 0, 1) * 255)
    out = np.full((len(c), 4), 255, np.uint8)
    out[:, :3] = rgb.astype(np.uint8)
    return out


class _Builder:
    """A pygltflib GLTF2 and its one binary buffer, filled view by view (4-byte aligned)."""

    def __init__(self, extras: dict | None = None) -> None:
        import pygltflib as g

        self.g = g
        self.gltf = g.GLTF2(asset=g.Asset(generator=GENERATOR, extras=extras or {}))
        self.data = bytearray()

    def view(self, payload: bytes, target: int | None = None) -> int:
        self.data += b"\0" * (-len(self.data) % 4)
        self.gltf.bufferViews.append(self.g.BufferView(buffer=0, byteOffset=len(self.data),
                                                       byteLength=len(payload), target=target))
        self.data += payload
        return len(self.gltf.bufferViews) - 1

    def accessor(self, array: np.ndarray, kind: str, component: int, *, target: int | None = None,
                 normalized: bool = False, bounds: bool = False) -> int:
        a = np.ascontiguousarray(array)
        count = a.shape[0]
        flat = a.reshape(count, -1)
        acc = self.g.Accessor(bufferView=self.view(a.tobytes(), target), componentType=component,
                              count=count, type=kind, normalized=normalized)
        if bounds:
            acc.min = flat.min(0).astype(float).tolist()
            acc.max = flat.max(0).astype(float).tolist()
        self.gltf.accessors.append(acc)
        return len(self.gltf.accessors) - 1

    def save(self, path: Path) -> Path:
        self.data += b"\0" * (-len(self.data) % 4)
        self.gltf.buffers.append(self.g.Buffer(byteLength=len(self.data)))
        self.gltf.set_binary_blob(bytes(self.data))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        self.gltf.save_binary(str(tmp))
        tmp.replace(path)
        return path


def _add_mesh(b: _Builder, vertices: np.ndarray, faces: np.ndarray, *, colors=None, uvs=None,
              face_uvs=None, texture=None, joints=None, weights=None, name: str = "mesh") -> int:
    """Add one mesh (a single triangle primitive with its material); returns its index.

    vertices (V, 3), faces (F, 3), colors (V, 3|4), joints (V, 4), weights (V, 4) per vertex;
    uvs (T, 2) v-up with face_uvs (F, 3) (or one uv per vertex), texture (H, W, 3) uint8.
    """
    g = b.g
    v = np.asarray(vertices, np.float32).reshape(-1, 3)
    f = np.asarray(faces, np.int64).reshape(-1, 3)
    if len(f) and (f.min() < 0 or f.max() >= len(v)):
        raise ValueError("faces index vertices that do not exist")
    normals = _vertex_normals(v, f)
    rows, uv = np.arange(len(v)), None
    textured = texture is not None and uvs is not None
    if textured:
        t = np.asarray(uvs, np.float32).reshape(-1, 2)
        if face_uvs is not None:
            rows, uv_rows, f = split_uv_seams(f, face_uvs)
            t = t[uv_rows]
        uv = np.stack([t[:, 0], 1.0 - t[:, 1]], 1).astype(np.float32)   # v up -> glTF v down
    attrs = g.Attributes(
        POSITION=b.accessor(v[rows], "VEC3", _FLOAT, target=_ARRAY, bounds=True),
        NORMAL=b.accessor(normals[rows], "VEC3", _FLOAT, target=_ARRAY))
    if uv is not None:
        attrs.TEXCOORD_0 = b.accessor(uv, "VEC2", _FLOAT, target=_ARRAY)
    if colors is not None:
        attrs.COLOR_0 = b.accessor(_rgba8(colors)[rows], "VEC4", _UBYTE, target=_ARRAY,
                                   normalized=True)
    if joints is not None:
        j = np.asarray(joints)[rows]
        jt = (np.uint8, _UBYTE) if j.max(initial=0) < 256 else (np.uint16, _USHORT)
        attrs.JOINTS_0 = b.accessor(j.astype(jt[0]), "VEC4", jt[1], target=_ARRAY)
        attrs.WEIGHTS_0 = b.accessor(np.asarray(weights, np.float32)[rows], "VEC4", _FLOAT,
                                     target=_ARRAY)
    itype = (np.uint16, _USHORT) if len(rows) < 65535 else (np.uint32, _UINT)
    indices = b.accessor(f.reshape(-1).astype(itype[0]), "SCALAR", itype[1], target=_ELEMENTS)
    pbr = g.PbrMetallicRoughness(baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.0,
                                 roughnessFactor=0.9)
    if textured:
        from PIL import Image

        png = io.BytesIO()
        Image.fromarray(np.asarray(texture, np.uint8)[..., :3]).save(png, format="PNG")
        b.gltf.images.append(g.Image(bufferView=b.view(png.getvalue()), mimeType="image/png"))
        b.gltf.samplers.append(g.Sampler(magFilter=9729, minFilter=9987, wrapS=33071,
                                         wrapT=33071))
        b.gltf.textures.append(g.Texture(sampler=len(b.gltf.samplers) - 1,
                                         source=len(b.gltf.images) - 1))
        pbr.baseColorTexture = g.TextureInfo(index=len(b.gltf.textures) - 1)
    elif colors is None:
        pbr.baseColorFactor = [0.62, 0.72, 0.85, 1.0]          # the studio's body colour
    b.gltf.materials.append(g.Material(pbrMetallicRoughness=pbr, name=f"{name}_material"))
    b.gltf.meshes.append(g.Mesh(name=name, primitives=[g.Primitive(
        attributes=attrs, indices=indices, material=len(b.gltf.materials) - 1)]))
    return len(b.gltf.meshes) - 1


def write_glb(path: str | Path, vertices: np.ndarray, faces: np.ndarray, *,
              vertex_colors: np.ndarray | None = None, uvs: np.ndarray | None = None,
              face_uvs: np.ndarray | None = None, texture: np.ndarray | None = None,
              name: str = "mesh", frame: str = "upright") -> Path:
    """Write one static mesh as a .glb; returns the path written.

    vertices: (V, 3) float, metres, written as given. faces: (F, 3) int, 0-based.
    vertex_colors: (V, 3) uint8 or float RGB (COLOR_0). uvs: (T, 2) v-up texture coordinates,
    face_uvs: (F, 3) rows of uvs per corner (None: one uv per vertex), texture: (H, W, 3) uint8
    (embedded PNG). frame: what the vertices are in ("upright" or "camera"), recorded in
    ``asset.extras["frame"]`` for ``read_glb``.
    """
    b = _Builder({"frame": frame})
    mesh = _add_mesh(b, vertices, faces, colors=vertex_colors, uvs=uvs, face_uvs=face_uvs,
                     texture=texture, name=name)
    b.gltf.nodes.append(b.g.Node(name=name, mesh=mesh))
    b.gltf.scenes.append(b.g.Scene(nodes=[0]))
    b.gltf.scene = 0
    return b.save(Path(path))


def _quaternions(rotations: np.ndarray) -> np.ndarray:
    """(N, 4) float32 unit quaternions (x, y, z, w) of (N, 3, 3) rotations, sign-continuous so
    that interpolation between keyframes takes the short way."""
    from scipy.spatial.transform import Rotation

    q = Rotation.from_matrix(rotations).as_quat()
    flip = np.cumprod(np.where(np.sum(q[1:] * q[:-1], 1) < 0, -1.0, 1.0))
    q[1:] *= flip[:, None]
    q = q.astype(np.float32)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def write_skinned_glb(path: str | Path, skeleton: Skeleton, skin: Skin, motion: Motion,
                      faces: np.ndarray, *, orientation: str = "upright",
                      vertex_colors: np.ndarray | None = None, uvs: np.ndarray | None = None,
                      face_uvs: np.ndarray | None = None, texture: np.ndarray | None = None,
                      name: str = "body") -> Path:
    """Write a skinned mesh and its animation over every keyframe of ``motion``.

    skeleton, skin, motion: from core.export.rig (bind pose in the canonical frame, motion in the
    camera frame). faces: (F, 3) int into skin.vertices. orientation: "upright" (Y up, facing
    +Z, the default of glTF) or "camera" (the fit's camera frame). Colours / texture as
    ``write_glb``. returns: the path written.
    """
    F, W = frame_matrix(orientation), world_matrix(orientation, motion.up)
    extras = {"frame": orientation, "fps": float(motion.fps),
              "first_frame": int(motion.frame_ids[0]) if motion.num_frames else 0,
              "gaps": motion.gaps}
    if orientation == "upright" and motion.up is not None:
        extras["camera_up"] = [float(x) for x in motion.up]    # the camera's turn into the file
    b = _Builder(extras)
    g = b.g
    J = skeleton.num_joints
    bind_joints = skeleton.bind_joints @ F.T
    mesh = _add_mesh(b, np.asarray(skin.vertices, np.float64) @ F.T, faces, colors=vertex_colors,
                     uvs=uvs, face_uvs=face_uvs, texture=texture, joints=skin.joints,
                     weights=skin.weights, name=name)
    # nodes: 0 the mesh, 1 + j joint j (the bind pose: identity rotations, offsets from parents)
    b.gltf.nodes.append(g.Node(name=name, mesh=mesh, skin=0))
    offsets = skeleton.offsets @ F.T
    children: list[list[int]] = [[] for _ in range(J)]
    for j, p in enumerate(skeleton.parents):
        if p >= 0:
            children[p].append(1 + j)
    for j in range(J):
        b.gltf.nodes.append(g.Node(name=skeleton.names[j], translation=offsets[j].tolist(),
                                   children=children[j]))
    roots = [1 + j for j, p in enumerate(skeleton.parents) if p < 0]
    ibm = np.tile(np.eye(4, dtype=np.float32), (J, 1, 1))
    ibm[:, :3, 3] = -bind_joints
    b.gltf.skins.append(g.Skin(
        name=f"{name}_skeleton", skeleton=roots[0], joints=[1 + j for j in range(J)],
        inverseBindMatrices=b.accessor(ibm.transpose(0, 2, 1).copy(), "MAT4", _FLOAT)))
    if motion.num_frames:
        anim = g.Animation(name="motion")
        times = b.accessor(np.asarray(motion.times, np.float32), "SCALAR", _FLOAT, bounds=True)
        rot = F @ motion.rotations @ F.T                                     # (N, J, 3, 3)
        for r in roots:                                 # the root moves in the world
            rot[:, r - 1] = W @ motion.rotations[:, r - 1] @ F.T
        moving = np.abs(rot - rot[:1]).max(axis=(0, 2, 3)) > 1e-7
        moving |= np.abs(rot[0] - np.eye(3)).max(axis=(1, 2)) > 1e-7
        moving[[r - 1 for r in roots]] = True
        channels = [(1 + int(j), "rotation", _quaternions(rot[:, j]))
                    for j in np.flatnonzero(moving)]
        channels += [(r, "translation", (motion.translations @ W.T).astype(np.float32))
                     for r in roots]
        for node, path_, values in channels:
            kind = "VEC4" if path_ == "rotation" else "VEC3"
            anim.samplers.append(g.AnimationSampler(input=times, interpolation="LINEAR",
                                                    output=b.accessor(values, kind, _FLOAT)))
            anim.channels.append(g.AnimationChannel(
                sampler=len(anim.samplers) - 1,
                target=g.AnimationChannelTarget(node=node, path=path_)))
        b.gltf.animations.append(anim)
    b.gltf.scenes.append(g.Scene(nodes=[0] + roots))
    b.gltf.scene = 0
    return b.save(Path(path))


def write_motion_glb(path: str | Path, body, motion: Motion, *, orientation: str = "upright",
                     vertex_offsets: np.ndarray | None = None,
                     vertex_ids: np.ndarray | None = None, faces: np.ndarray | None = None,
                     **mesh) -> Path:
    """The body model (or an avatar on it) skinned and animated over ``motion``: builds the
    skeleton and fits the skin (core.export.rig), then ``write_skinned_glb``.

    vertex_offsets, vertex_ids: see ``rig.fit_skin``; faces: (F, 3) into the kept vertices
    (default: the body's faces). mesh: colours / uvs / face_uvs / texture as ``write_glb``.
    """
    from .rig import build_rig

    skeleton, skin = build_rig(body, motion, vertex_offsets=vertex_offsets, vertex_ids=vertex_ids)
    return write_skinned_glb(path, skeleton, skin, motion, body.faces if faces is None else faces,
                             orientation=orientation, name=mesh.pop("name", body.name), **mesh)


# ---- reading ----------------------------------------------------------------------------------
def _accessor_array(gltf, blob: bytes, index: int) -> np.ndarray:
    acc = gltf.accessors[index]
    dtype = {5126: np.float32, 5125: np.uint32, 5123: np.uint16, 5121: np.uint8,
             5122: np.int16, 5120: np.int8}[acc.componentType]
    n = _COMPONENTS[acc.type]
    view = gltf.bufferViews[acc.bufferView]
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    item = np.dtype(dtype).itemsize * n
    stride = view.byteStride or item
    raw = np.frombuffer(blob, np.uint8, count=stride * (acc.count - 1) + item, offset=start)
    if stride != item:
        raw = np.lib.stride_tricks.as_strided(raw, (acc.count, item), (stride, 1)).copy()
    out = np.frombuffer(raw.tobytes(), dtype).reshape(acc.count, n)
    if acc.normalized and dtype != np.float32:
        out = out.astype(np.float32) / np.iinfo(dtype).max
    return out.reshape(acc.count, 4, 4).transpose(0, 2, 1) if acc.type == "MAT4" else out


def _trs_matrix(t, r, s) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    m = np.eye(4)
    m[:3, :3] = Rotation.from_quat(r).as_matrix() * np.asarray(s, np.float64)[None, :]
    m[:3, 3] = t
    return m


@dataclass
class GlbMesh:
    """A mesh read from a .glb, posable at any time of its animation.

    vertices: (P, 3) float32 as stored (the bind pose of a skinned mesh), in the file's frame.
    faces: (F, 3) int64. uvs: (P, 2) float32 v-up texture coordinates or None; texture:
    (H, W, 3) uint8 or None; colors: (P, 3) uint8 or None. frame: "upright" or "camera"
    (``asset.extras["frame"]``; files of other tools are upright). times: (T,) float64 keyframe
    times of the animation in seconds (empty when there is none). fps: the source frame rate
    the file records (0 when unknown); first_frame: the source frame of its first keyframe.
    joint_names: names of the skin's joints. camera_up: (3,) the camera frame's world up the
    studio turned an upright file by (``asset.extras["camera_up"]``), None for a level camera.
    """

    vertices: np.ndarray
    faces: np.ndarray
    uvs: np.ndarray | None
    texture: np.ndarray | None
    colors: np.ndarray | None
    frame: str
    times: np.ndarray
    fps: float
    joint_names: list[str]
    first_frame: int = 0
    camera_up: np.ndarray | None = None
    _nodes: list = field(default_factory=list, repr=False)
    _parents: np.ndarray | None = field(default=None, repr=False)
    _channels: list = field(default_factory=list, repr=False)
    _skin: tuple | None = field(default=None, repr=False)

    @property
    def animated(self) -> bool:
        return self._skin is not None and len(self.times) > 0

    @property
    def duration(self) -> float:
        return float(self.times[-1] - self.times[0]) if len(self.times) else 0.0

    def node_matrices(self, t: float) -> np.ndarray:
        """(nodes, 4, 4) float64 world matrices of every node at time ``t`` (seconds)."""
        local = []
        for i, (trs, matrix) in enumerate(self._nodes):
            trs = [np.asarray(x, np.float64) for x in trs]
            for node, path, times, values in self._channels:
                if node != i:
                    continue
                k = int(np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 1))
                k1 = min(k + 1, len(times) - 1)
                span = times[k1] - times[k]
                a = 0.0 if k1 == k else float(np.clip((t - times[k]) / span, 0.0, 1.0))
                v0, v1 = values[k].astype(np.float64), values[k1].astype(np.float64)
                if path == "rotation":
                    v1 = v1 if np.dot(v0, v1) >= 0 else -v1
                    q = (1 - a) * v0 + a * v1          # nlerp: within float error of slerp here
                    trs[1] = q / np.linalg.norm(q)
                else:
                    trs[0 if path == "translation" else 2] = (1 - a) * v0 + a * v1
            local.append(matrix if matrix is not None else _trs_matrix(*trs))
        world = np.empty((len(local), 4, 4))
        for i in range(len(local)):      # parents are resolved by walking up (any node order)
            m, p = local[i], self._parents[i]
            while p >= 0:
                m = local[p] @ m
                p = self._parents[p]
            world[i] = m
        return world

    def pose(self, t: float) -> np.ndarray:
        """(P, 3) float32 vertices at time ``t`` (seconds), in the file's frame: skinned from the
        file's own joints, inverse bind matrices, weights and animation (bind pose if static)."""
        if self._skin is None:
            return self.vertices
        joint_nodes, ibm, joints, weights = self._skin
        world = self.node_matrices(t)
        mats = world[joint_nodes] @ ibm                                        # (J, 4, 4)
        blend = np.einsum("pk,pkab->pab", weights.astype(np.float64), mats[joints])
        v = self.vertices.astype(np.float64)
        return (np.einsum("pab,pb->pa", blend[:, :3, :3], v) + blend[:, :3, 3]).astype(np.float32)


def read_glb(path: str | Path) -> GlbMesh:
    """Read the first mesh primitive of a .glb (with its skin and first animation, if any).

    raises: ValueError with a sentence when the file holds no triangle mesh.
    """
    import pygltflib as g

    gltf = g.GLTF2.load_binary(str(path))
    blob = gltf.binary_blob() or b""
    node_id = next((i for i, n in enumerate(gltf.nodes) if n.mesh is not None), None)
    if node_id is None or not gltf.meshes[gltf.nodes[node_id].mesh].primitives:
        raise ValueError(f"'{path}' holds no mesh to show")
    node = gltf.nodes[node_id]
    prim = gltf.meshes[node.mesh].primitives[0]
    a = prim.attributes
    get = lambda i: None if i is None else _accessor_array(gltf, blob, i)  # noqa: E731
    vertices = get(a.POSITION).astype(np.float32)
    faces = (get(prim.indices).reshape(-1, 3) if prim.indices is not None
             else np.arange(len(vertices)).reshape(-1, 3)).astype(np.int64)
    uvs = get(a.TEXCOORD_0)
    if uvs is not None:
        uvs = np.stack([uvs[:, 0], 1.0 - uvs[:, 1]], 1).astype(np.float32)
    colors = get(a.COLOR_0)
    if colors is not None:
        colors = np.round(np.clip(colors[:, :3].astype(np.float32)
                                  / (1.0 if colors.dtype == np.float32 else 255.0), 0, 1) * 255)
        colors = colors.astype(np.uint8)
    texture = None
    if prim.material is not None and uvs is not None:
        pbr = gltf.materials[prim.material].pbrMetallicRoughness
        if pbr is not None and pbr.baseColorTexture is not None:
            from PIL import Image

            image = gltf.images[gltf.textures[pbr.baseColorTexture.index].source]
            view = gltf.bufferViews[image.bufferView]
            data = blob[view.byteOffset or 0:(view.byteOffset or 0) + view.byteLength]
            texture = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    parents = np.full(len(gltf.nodes), -1, np.int64)
    for i, n in enumerate(gltf.nodes):
        for c in n.children or []:
            parents[c] = i
    nodes = [((n.translation or [0.0, 0.0, 0.0], n.rotation or [0.0, 0.0, 0.0, 1.0],
               n.scale or [1.0, 1.0, 1.0]),
              None if n.matrix is None else np.asarray(n.matrix, np.float64).reshape(4, 4).T)
             for n in gltf.nodes]
    channels, times = [], np.zeros(0)
    if gltf.animations:
        anim = gltf.animations[0]
        for ch in anim.channels:
            s = anim.samplers[ch.sampler]
            t = get(s.input)[:, 0].astype(np.float64)
            channels.append((ch.target.node, ch.target.path, t, get(s.output)))
            times = np.union1d(times, t)
    skin, names = None, []
    if node.skin is not None and a.JOINTS_0 is not None:
        sk = gltf.skins[node.skin]
        ibm = (get(sk.inverseBindMatrices).astype(np.float64) if sk.inverseBindMatrices is not None
               else np.tile(np.eye(4), (len(sk.joints), 1, 1)))
        skin = (np.asarray(sk.joints), ibm, get(a.JOINTS_0).astype(np.int64),
                get(a.WEIGHTS_0).astype(np.float32))
        names = [gltf.nodes[j].name or f"joint{k}" for k, j in enumerate(sk.joints)]
    extras = gltf.asset.extras or {}
    return GlbMesh(vertices=vertices, faces=faces, uvs=uvs, texture=texture, colors=colors,
                   frame=str(extras.get("frame", "upright")), times=times,
                   fps=float(extras.get("fps", 0.0) or 0.0), joint_names=names,
                   first_frame=int(extras.get("first_frame", 0) or 0), _nodes=nodes,
                   camera_up=(np.asarray(extras["camera_up"], np.float64)
                              if len(extras.get("camera_up") or ()) == 3 else None),
                   _parents=parents, _channels=channels, _skin=skin)


def validate_report(path: str | Path) -> dict:
    """The Khronos glTF-Validator's report (a dict, its JSON) on a .glb, through node and the npm
    package ``gltf-validator`` that scripts/setup.sh installs (in .cache/node).

    raises: FileNotFoundError with a sentence when node or the package is missing.
    """
    import json

    return json.loads(run_node_tool("validate_gltf.js", "gltf-validator", str(path), ok=(0, 1)))


def run_node_tool(script: str, package: str, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    """stdout of ``node scripts/<script> args`` (a tool over the npm ``package`` in .cache/node,
    which scripts/setup.sh installs). raises: FileNotFoundError with a sentence when node or the
    package is missing; RuntimeError when the tool fails."""
    import shutil
    import subprocess

    root = Path(__file__).resolve().parents[2]
    node = shutil.which("node")
    if node is None or not (root / ".cache" / "node" / "node_modules" / package).is_dir():
        raise FileNotFoundError(f"This check needs node and the npm package {package}; run "
                                "bash scripts/setup.sh to install them.")
    out = subprocess.run([node, str(root / "scripts" / script), *args], capture_output=True,
                         text=True, timeout=120, check=False)
    if out.returncode not in ok:
        raise RuntimeError(f"{script} failed: {out.stderr.strip()}")
    return out.stdout


__all__ = ["write_glb", "write_skinned_glb", "write_motion_glb", "read_glb", "GlbMesh",
           "split_uv_seams", "validate_report", "run_node_tool"]
