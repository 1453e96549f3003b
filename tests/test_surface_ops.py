"""Building blocks of the surface stage against analytic references."""
import numpy as np
import trimesh

from core.surface.body_sdf import VoxelGrid, signed_distance, voxelize
from core.surface.extension import silhouette_extension
from core.surface.grid import signed_distance_2d
from core.surface.harmonic import harmonic_fill
from core.surface.mesh import SurfaceMesh
from core.surface.mesh_ops import extract_isosurface, largest_component, taubin_smooth


def _sphere_field(n=48, r=0.6):
    x = np.linspace(-1, 1, n)
    X, Y, Z = np.meshgrid(x, x, x, indexing="ij")
    return r - np.sqrt(X ** 2 + Y ** 2 + Z ** 2), x[1] - x[0]


def test_marching_cubes_sphere_is_closed_outward_and_round():
    field, h = _sphere_field()
    v, f = extract_isosurface(field)
    pts = v * h - 1.0
    mesh = SurfaceMesh(pts, f, np.zeros((len(pts), 3)))
    assert mesh.edges_manifold() and trimesh.Trimesh(pts, f, process=False).is_watertight
    r = np.linalg.norm(pts, axis=1)
    assert abs(r.mean() - 0.6) < 0.01 and r.std() < 0.01
    assert abs(mesh.signed_volume() - 4 / 3 * np.pi * 0.6 ** 3) < 0.02   # positive: outward
    np.testing.assert_allclose(mesh.winding_numbers([[0, 0, 0], [0.9, 0, 0]]), [1, 0], atol=1e-6)


def test_taubin_smoothing_keeps_volume_and_rounds_steps():
    field, h = _sphere_field()
    v, f = extract_isosurface(np.where(field > 0, 1.0, -1.0))        # a staircase sphere
    pts = v * h - 1.0
    smooth = taubin_smooth(pts, f, 10)
    vol = lambda x: SurfaceMesh(x, f, np.zeros((len(x), 3))).signed_volume()  # noqa: E731
    assert abs(vol(smooth) / vol(pts) - 1) < 0.03
    assert np.linalg.norm(smooth, axis=1).std() < 0.6 * np.linalg.norm(pts, axis=1).std()


def test_largest_component_drops_the_small_part():
    a, h = _sphere_field(40, 0.5)
    v, f = extract_isosurface(a)
    v2, f2 = np.concatenate([v, v * 0.2 + 100]), np.concatenate([f, f + len(v)])
    v3, f3 = largest_component(v2, f2)
    assert len(f3) == len(f) and v3.max() < 100


def test_harmonic_fill_reproduces_a_linear_field():
    H, W = 30, 40
    yy, xx = np.mgrid[:H, :W].astype(float)
    truth = 0.3 * xx - 0.2 * yy + 2.0
    known = np.zeros((H, W), bool)
    known[0], known[-1], known[:, 0], known[:, -1] = True, True, True, True
    out = harmonic_fill(np.where(known, truth, 0), known, np.ones((H, W), bool))
    np.testing.assert_allclose(out, truth, atol=1e-4)
    # Dirichlet 0 outside a disc with one known centre: positive inside, falling to the edge.
    disc = (xx - 20) ** 2 + (yy - 15) ** 2 < 12 ** 2
    centre = np.zeros((H, W), bool)
    centre[15, 20] = True
    out = harmonic_fill(np.where(centre, 1.0, 0.0), centre, disc, boundary_value=0.0)
    assert out[15, 20] == 1.0 and 0 < out[15, 30] < out[15, 25] < 1.0


def test_voxelized_sphere_has_the_right_volume_and_distance():
    sph = trimesh.creation.icosphere(4, radius=0.25)
    grid = VoxelGrid(np.array([-0.4, -0.4, -0.4]), 0.01, (81, 81, 81))
    inside = voxelize(sph.vertices, sph.faces, grid)
    assert abs(inside.sum() * 1e-6 / sph.volume - 1) < 0.03
    sdf = signed_distance(inside, grid.voxel)
    r = np.linalg.norm(grid.centres(), axis=-1)
    far = np.abs(r - 0.25) > 0.02
    np.testing.assert_allclose(sdf[far], (r - 0.25)[far], atol=0.011)


def test_silhouette_extension_is_what_the_mask_shows_past_the_body():
    yy, xx = np.mgrid[:120, :120]
    r = np.hypot(yy - 60, xx - 60)
    body = r < 30
    # A mask that hugs the body: no extension anywhere.
    assert silhouette_extension(signed_distance_2d(body), body).max() < 0.5
    # The mask is the body grown by 10 px all round: the whole body silhouette stands off by
    # about 10 px less the tolerance (a uniform boundary value fills the inside uniformly).
    grown = silhouette_extension(signed_distance_2d(r < 40), body, tolerance=1.0)
    assert np.all(np.abs(grown[body] - 9.5) < 1.0)
    # Only the top grows (hair): large under the top of the outline, none at the bottom, and
    # never more than the outline shows (maximum principle).
    top = silhouette_extension(signed_distance_2d(body | ((r < 40) & (yy < 45))), body)
    assert top[32, 60] > 5.0 and top[88, 60] < 0.5 and top[60, 60] < top[32, 60]
    assert top[body].max() <= 10.0
    # Only one side grows (a backpack seen from the side): the silhouette already shows it all,
    # so the hidden side does not bulge; both sides grow (a skirt): it does.
    one = silhouette_extension(signed_distance_2d(body | ((r < 40) & (xx > 75))), body)
    both = silhouette_extension(signed_distance_2d(body | ((r < 40) & (np.abs(xx - 60) > 15))), body)
    assert one[60, 60] < 0.5 and both[60, 60] > 4.0
