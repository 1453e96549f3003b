"""The fits' own axis-angle conversion agrees with roma's, value and gradient, small angles too."""
import roma
import torch

from core.rotations import rotvec_to_rotmat


def test_rotvec_to_rotmat_matches_roma_in_value_and_gradient():
    gen = torch.Generator().manual_seed(0)
    r = torch.randn(400, 3, generator=gen, dtype=torch.float64) * 1.5
    r[:20] *= 1e-7          # nearly the zero rotation
    r[20:30] = 0.0          # exactly the zero rotation (every fit starts there)
    assert torch.allclose(rotvec_to_rotmat(r), roma.rotvec_to_rotmat(r), atol=1e-10)
    weights = torch.randn(3, 3, generator=gen, dtype=torch.float64)
    grads = []
    for f in (rotvec_to_rotmat, roma.rotvec_to_rotmat):
        x = r.float().clone().requires_grad_(True)
        (f(x) * weights.float()).sum().backward()
        grads.append(x.grad)
    assert torch.isfinite(grads[0]).all()
    assert torch.allclose(grads[0], grads[1], atol=1e-4)
    batch = torch.randn(2, 5, 3, generator=gen)
    assert rotvec_to_rotmat(batch).shape == (2, 5, 3, 3)
