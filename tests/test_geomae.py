"""Behaviour of the GeoMAE method module (mpkit.methods.points.geomae): the hand-written Chamfer distance
against a k-d tree, the occupancy grid against numpy's histogram, the targets against known surfaces, and a
tiny Point-MAE with either target that learns."""
import math
import numpy as np
import pytest
import torch
from mpkit.methods.points.geomae import (PointMAE, chamfer_distance, geometric_loss, group_batches,
                                         group_radius, occupancy_grid, point_groups)

TOY = dict(group_size=8, dim=32, depth=1, heads=2, decoder_depth=1, embed_hidden=16)


def _spheres(n=6, points=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, points, 3, generator=g)
    return x / x.norm(dim=-1, keepdim=True) * (1 + torch.rand(n, 1, 1, generator=g))


@pytest.mark.parametrize('n,m', [(1, 1), (7, 30), (64, 5)])
def test_chamfer_matches_a_kd_tree(n, m):
    spatial = pytest.importorskip('scipy.spatial')
    g = torch.Generator().manual_seed(n * m)
    a, b = torch.randn(3, n, 3, generator=g), torch.randn(3, m, 3, generator=g)
    got = chamfer_distance(a, b)
    for i in range(3):
        da, _ = spatial.cKDTree(b[i].numpy()).query(a[i].numpy())
        db, _ = spatial.cKDTree(a[i].numpy()).query(b[i].numpy())
        assert got[i].item() == pytest.approx((da ** 2).mean() + (db ** 2).mean(), rel=1e-4, abs=1e-6)
    with pytest.raises(ValueError, match='same number'):
        chamfer_distance(a, b[:2])
    with pytest.raises(ValueError, match='a has shape'):
        chamfer_distance(a[..., :2], b)


def test_occupancy_matches_numpy_histogram():
    nbrs = torch.randn(2, 5, 20, 3, generator=torch.Generator().manual_seed(0))
    for R in (1, 2, 3, 4):
        occ = occupancy_grid(nbrs, resolution=R)
        assert occ.shape == (2, 5, R ** 3)
        r = group_radius(nbrs)
        for i in range(2):
            for j in range(5):
                H, _ = np.histogramdd((nbrs[i, j] / r[i, j]).numpy(), bins=R, range=[(-1, 1)] * 3)
                assert np.array_equal(occ[i, j].view(R, R, R).numpy(), (H > 0).astype(np.float32))
    with pytest.raises(ValueError, match='resolution'):
        occupancy_grid(nbrs, resolution=0)


def test_targets_of_planes_and_spheres():
    u, v = torch.rand(2, 2, 300, generator=torch.Generator().manual_seed(1))
    plane = torch.stack([u, v, 0.3 * u + 0.1 * v], -1)
    t = point_groups(plane, n_groups=6, group_size=12)
    assert t.curvature.abs().max() < 1e-5
    n = torch.tensor([0.3, 0.1, -1.0]) / torch.tensor([0.3, 0.1, -1.0]).norm()
    assert torch.allclose((t.normal @ n).abs(), torch.ones(2, 6), atol=1e-5)
    s = point_groups(_spheres(), n_groups=8, group_size=8)
    assert ((s.normal * s.centres).sum(-1) > 0).all()                    # outwards on a sphere
    assert torch.allclose(s.centroid * group_radius(s.nbrs)[..., None], s.nbrs.mean(2), atol=1e-5)
    with pytest.raises(ValueError, match='xyz'):
        point_groups(plane[0])


def test_geometric_loss_ignores_the_normal_sign():
    g = torch.Generator().manual_seed(2)
    c, nrm = torch.randn(10, 3, generator=g), torch.nn.functional.normalize(torch.randn(10, 3, generator=g), dim=-1)
    k, o = torch.rand(10, generator=g) / 3, (torch.rand(10, 8, generator=g) > 0.5).float()
    pred = torch.cat([c, -3 * nrm, 3 * k[:, None], 30 * o - 15], -1)
    out = geometric_loss(pred, c, nrm, k, o)
    assert out.total.item() < 1e-5 and out.normal.item() < 1e-6
    with pytest.raises(ValueError, match='pred has shape'):
        geometric_loss(pred[:, :9], c, nrm, k, o)


@pytest.mark.parametrize('target', ['points', 'geometry'])
def test_pointmae_learns_and_never_sees_hidden_points(target):
    groups = point_groups(_spheres(40), n_groups=10, group_size=8)
    batches = group_batches(groups, batch_size=8, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    model = PointMAE(target=target, **TOY)
    b = batches(0)
    assert (b['mask'].sum(1) == 6).all()                                  # round(0.6 * 10)
    changed = dict(b, nbrs=torch.where(b['mask'][..., None, None], torch.zeros_like(b['nbrs']), b['nbrs']))
    with torch.no_grad():
        assert torch.allclose(model(**changed).pred, model(**b).pred, atol=1e-6)
        first = model(**b).loss.item()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for step in range(60):
        loss = model(**batches(step)).loss
        opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        assert model(**b).loss.item() < 0.7 * first
        assert model.encode(b['centres'], b['nbrs']).shape == (8, 64)
    with pytest.raises(ValueError, match='target'):
        PointMAE(target='pixels', **TOY)
