"Tests of mpkit.targets: k-means against scikit-learn, Sinkhorn marginals, VQ, random-projection ids."
import numpy as np
import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings, strategies as st
from mpkit.targets import (patch_pixels, assign, kmeans, kmeans_plusplus, sinkhorn, VectorQuantizer,
                           random_projection_quantizer, perplexity)


def blobs(n=3000, d=8, centers=12, seed=0):
    "Clustered, MFCC-like features: unequal anisotropic Gaussian blobs."
    rng = np.random.default_rng(seed)
    means, scales = rng.normal(0, 4, (centers, d)), rng.uniform(0.5, 2.0, (centers, d))
    which = rng.choice(centers, n, p=rng.dirichlet(np.ones(centers) * 2))
    return torch.from_numpy(means[which] + rng.normal(size=(n, d)) * scales[which])


def test_patch_pixels_matches_mae_loop():
    x = torch.randn(2, 3, 8, 12, generator=torch.Generator().manual_seed(0))
    out = patch_pixels(x, 4)
    assert out.shape == (2, 6, 48)
    for b in range(2):
        for i in range(2):
            for j in range(3):
                p = x[b, :, 4 * i:4 * i + 4, 4 * j:4 * j + 4].permute(1, 2, 0).reshape(-1)
                torch.testing.assert_close(out[b, 3 * i + j], (p - p.mean()) / (p.var() + 1e-6).sqrt())
    torch.testing.assert_close(patch_pixels(x, 4, norm=False)[0, 0], x[0, :, :4, :4].permute(1, 2, 0).reshape(-1))


@pytest.mark.parametrize("bad,msg", [(torch.randn(1, 1, 6, 6), "divide"), (torch.randn(6, 6), "4 dimensions"),
                                     (torch.ones(1, 1, 8, 8, dtype=torch.long), "floating")])
def test_patch_pixels_bad_input(bad, msg):
    with pytest.raises(ValueError, match=msg): patch_pixels(bad, 4)


@pytest.mark.parametrize("init", ["shared", "own"])
def test_kmeans_inertia_within_1pct_of_sklearn(init):
    from sklearn.cluster import KMeans
    x = blobs().float()
    if init == "shared":
        c0 = kmeans_plusplus(x, 12, generator=torch.Generator().manual_seed(0))
        ours = kmeans(x, 12, init=c0, iters=30)
        ref = KMeans(12, init=c0.numpy(), n_init=1, max_iter=30, algorithm="lloyd").fit(x.numpy())
    else:  # each its own k-means++: compare the best of eight seeds, as single runs land in different local optima
        ours = min((kmeans(x, 12, iters=30, generator=torch.Generator().manual_seed(s)) for s in range(8)), key=lambda r: r.inertia)
        ref = min((KMeans(12, n_init=1, max_iter=30, random_state=s).fit(x.numpy()) for s in range(8)), key=lambda r: r.inertia_)
    assert abs(ours.inertia - ref.inertia_) / ref.inertia_ < 0.01


def test_kmeans_labels_inertia_consistent_and_deterministic():
    x = blobs(500, 4, 5, seed=1)
    r1 = kmeans(x, 5, generator=torch.Generator().manual_seed(7), chunk=64)
    r2 = kmeans(x, 5, generator=torch.Generator().manual_seed(7), chunk=1000)
    torch.testing.assert_close(r1.centroids, r2.centroids)
    assert torch.equal(r1.labels, torch.cdist(x, r1.centroids).argmin(1))
    assert r1.inertia == pytest.approx(((x - r1.centroids[r1.labels]) ** 2).sum().item(), rel=1e-9)
    a = assign(x, r1.centroids, chunk=7)
    assert torch.equal(a.labels, r1.labels) and a.labels.dtype == torch.long
    torch.testing.assert_close(a.distances, ((x - r1.centroids[a.labels]) ** 2).sum(1))


@pytest.mark.parametrize("call,msg", [
    (lambda: kmeans(torch.randn(4, 2), 5), "k=5"),
    (lambda: kmeans(torch.tensor([[0., float("nan")], [1., 2.]]), 1), "NaN"),
    (lambda: kmeans(torch.empty(0, 3), 1), "non-empty"),
    (lambda: kmeans(torch.ones(5, 2, dtype=torch.long), 1), "floating"),
    (lambda: kmeans(torch.randn(5, 2), 2, init="bogus"), "k-means"),
    (lambda: kmeans(torch.randn(5, 2), 2, init=torch.zeros(3, 2)), r"\(2, 2\)"),
    (lambda: assign(torch.randn(5, 2), torch.randn(3, 4)), "dim"),
])
def test_kmeans_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg): call()


@settings(max_examples=25, deadline=None)
@given(b=st.integers(2, 40), k=st.integers(2, 12), scale=st.sampled_from([1e-2, 1.0, 1e2, 1e4]), seed=st.integers(0, 2**16))
def test_sinkhorn_finite_and_rows_sum_to_one(b, k, scale, seed):
    s = torch.randn(b, k, generator=torch.Generator().manual_seed(seed)) * scale
    q = sinkhorn(s)
    assert torch.isfinite(q).all() and (q >= 0).all()
    torch.testing.assert_close(q.sum(1), torch.ones(b), atol=1e-3, rtol=0)


@settings(max_examples=20, deadline=None)
@given(b=st.integers(2, 64), k=st.integers(2, 16), seed=st.integers(0, 2**16))
def test_sinkhorn_marginals_converge(b, k, seed):
    s = torch.randn(b, k, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 0.05
    q = sinkhorn(s, iters=200)
    torch.testing.assert_close(q.sum(1), torch.ones(b, dtype=torch.float64), atol=1e-3, rtol=0)
    torch.testing.assert_close(q.sum(0) * k / b, torch.ones(k, dtype=torch.float64), atol=1e-3, rtol=0)


def test_sinkhorn_matches_plain_version_where_it_does_not_overflow():
    s = torch.randn(32, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    q = torch.exp(s / 0.05).T; q /= q.sum()
    for _ in range(3):
        q /= q.sum(1, keepdim=True); q /= 8
        q /= q.sum(0, keepdim=True); q /= 32
    torch.testing.assert_close(sinkhorn(s), (q * 32).T)


@pytest.mark.parametrize("bad,msg", [(torch.tensor([[0., float("nan")]]), "NaN"), (torch.randn(3), "2 dimensions"),
                                     (torch.empty(0, 3), "non-empty"), (torch.ones(2, 2, dtype=torch.long), "floating")])
def test_sinkhorn_bad_input(bad, msg):
    with pytest.raises(ValueError, match=msg): sinkhorn(bad)


def test_vq_nearest_codes_loss_and_straight_through():
    vq = VectorQuantizer(16, 6, generator=torch.Generator().manual_seed(0))
    enc = nn.Linear(5, 6)
    z = enc(torch.randn(3, 4, 5, generator=torch.Generator().manual_seed(1)))
    out = vq(z)
    assert out.codes.shape == (3, 4) and out.quantized.shape == z.shape
    cb = vq.codebook.detach()
    assert torch.equal(out.codes, ((z.detach()[..., None, :] - cb) ** 2).sum(-1).argmin(-1))
    e = cb[out.codes]
    torch.testing.assert_close(out.loss, ((z.detach() - e) ** 2).mean() + 0.25 * ((z.detach() - e) ** 2).mean())
    torch.testing.assert_close(out.quantized, e)
    (out.quantized * 2).sum().backward(retain_graph=True)
    torch.testing.assert_close(enc.bias.grad, torch.full((6,), 2.0 * 12))
    assert vq.codebook.grad is None  # the straight-through path does not touch the codebook
    out.loss.backward()
    assert vq.codebook.grad.abs().sum() > 0  # the codebook term trains the codebook


def test_vq_commitment_gradient_on_encoder():
    vq = VectorQuantizer(4, 2, beta=0.25)
    with torch.no_grad(): vq.codebook.copy_(torch.tensor([[0., 0.], [1., 1.], [-1., 1.], [3., 3.]]))
    z = torch.tensor([[0.8, 1.4]], requires_grad=True)
    out = vq(z)
    assert out.codes.item() == 1
    out.loss.backward()
    torch.testing.assert_close(z.grad, 0.25 * 2 * (z.detach() - torch.tensor([[1., 1.]])) / 2)


def test_vq_gumbel_and_perplexity():
    vq = VectorQuantizer(8, 4, gumbel=True, tau=2.0, generator=torch.Generator().manual_seed(0))
    z = torch.randn(50, 4, requires_grad=True)
    out = vq(z, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(out.quantized, vq.codebook[out.codes])
    again = vq(z, generator=torch.Generator().manual_seed(3))
    assert torch.equal(again.codes, out.codes)
    out.quantized.sum().backward()
    assert z.grad is not None and z.grad.abs().sum() > 0
    assert 1 <= out.perplexity <= 8 and 0 <= out.loss <= 1
    torch.testing.assert_close(perplexity(torch.full((8,), 1 / 8)), torch.tensor(8.), atol=1e-4, rtol=0)
    torch.testing.assert_close(perplexity(torch.tensor([1., 0., 0.])), torch.tensor(1.), atol=1e-4, rtol=0)


def test_vq_bad_input():
    with pytest.raises(ValueError, match="expected 4"): VectorQuantizer(8, 4)(torch.randn(2, 5))
    with pytest.raises(ValueError, match="floating"): VectorQuantizer(8, 4)(torch.ones(2, 4, dtype=torch.long))


def test_random_projection_quantizer():
    make = lambda s: random_projection_quantizer(20, codebook_size=64, code_dim=8, generator=torch.Generator().manual_seed(s))
    q1, q2, q3 = make(0), make(0), make(1)
    x = torch.randn(3, 7, 20, generator=torch.Generator().manual_seed(5))
    ids = q1(x)
    assert ids.shape == (3, 7) and ids.dtype == torch.long
    assert torch.equal(ids, q2(x)) and not torch.equal(ids, q3(x))
    y = torch.nn.functional.normalize(x @ q1.projection, dim=-1)
    assert torch.equal(ids, torch.cdist(y, q1.codebook).argmin(-1))
    assert list(q1.parameters()) == [] and q1.projection.abs().max() <= (6 / 28) ** 0.5
    torch.testing.assert_close(q1.codebook.norm(dim=-1), torch.ones(64))
    with pytest.raises(ValueError, match="expected 20"): q1(torch.randn(2, 3))
    with pytest.raises(ValueError, match=">= 1"): random_projection_quantizer(0, codebook_size=4, code_dim=2)
