"""Behaviour of the SIGMA method module (mpkit.methods.video.sigma): tubes in TubeEmbed's order, the
swapped prediction against a hand-written cross-entropy of Sinkhorn targets, the collapse measures on known
inputs, and a tiny video model with either target that trains, the L2 one collapsing its projection."""
import math
import pytest
import torch
from mpkit.models import TubeEmbed
from mpkit.targets import sinkhorn
from mpkit.methods.video.sigma import (SigmaVideo, assignment_entropy, clip_batches, feature_spread,
                                       prototype_scores, swapped_prediction, video_tubes)

TOY = dict(frames=4, size=12, tube=(2, 6, 6), dim=24, depth=1, heads=2, decoder_depth=1, proj_dim=8,
           proj_hidden=16, n_prototypes=8)


@pytest.mark.parametrize('tube', [(1, 2, 2), (2, 3, 3), (4, 6, 6)])
def test_tubes_follow_tube_embed_order(tube):
    video = torch.rand(2, 4, 12, 12, generator=torch.Generator().manual_seed(0))
    n = tube[0] * tube[1] * tube[2]
    emb = TubeEmbed(1, n, tube=tube)
    with torch.no_grad():
        emb.proj.weight.copy_(torch.eye(n).view(n, 1, *tube)); emb.proj.bias.zero_()
        assert torch.allclose(emb(video[:, None]), video_tubes(video, tube=tube), atol=1e-6)
    with pytest.raises(ValueError, match='multiples'):
        video_tubes(video, tube=(3, 2, 2))


def test_swapped_prediction_is_two_cross_entropies():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(40, 6, generator=g), torch.randn(40, 6, generator=g)
    out = swapped_prediction(s, t, temperature=0.2, eps=0.1, iters=5)
    qt, qs = sinkhorn(t, eps=0.1, iters=5), sinkhorn(s, eps=0.1, iters=5)
    want_p = -(qt * torch.log_softmax(s / 0.2, -1)).sum(-1).mean()
    want_t = -(qs * torch.log_softmax(t / 0.2, -1)).sum(-1).mean()
    assert out.pred_loss.item() == pytest.approx(want_p.item(), rel=1e-5)
    assert out.target_loss.item() == pytest.approx(want_t.item(), rel=1e-5)
    assert out.loss.item() == pytest.approx((want_p + want_t).item() / 2, rel=1e-5)
    balanced = swapped_prediction(s, t, eps=0.5, iters=50).q_target   # columns converge with iterations
    assert torch.allclose(balanced.sum(0), torch.full((6,), 40 / 6), atol=0.05)
    with pytest.raises(ValueError, match='same'):
        swapped_prediction(s, t[:5])


def test_prototype_scores_are_cosines():
    g = torch.Generator().manual_seed(1)
    z, c = torch.randn(5, 3, generator=g), torch.randn(4, 3, generator=g)
    got = prototype_scores(z, c)
    want = torch.nn.functional.cosine_similarity(z[:, None], c[None], dim=-1)
    assert torch.allclose(got, want, atol=1e-6)
    with pytest.raises(ValueError, match='prototypes'):
        prototype_scores(z, c[:, :2])


def test_collapse_measures():
    assert assignment_entropy(torch.eye(4).repeat(3, 1)) == pytest.approx(1.0)
    assert assignment_entropy(torch.eye(4)[[2] * 9]) == pytest.approx(0.0)
    assert assignment_entropy(torch.eye(4)[[0, 0, 1, 1]]) == pytest.approx(math.log(2) / math.log(4))
    assert feature_spread(torch.full((6, 2), 3.0)) == pytest.approx(0.0)
    assert feature_spread(torch.tensor([[1.0, 1], [-1, -1]])) == pytest.approx(1.0)
    assert feature_spread(torch.zeros(3, 2)) == 0.0
    with pytest.raises(ValueError, match='scores'):
        assignment_entropy(torch.ones(3))


def test_batches_hold_tube_masks():
    video = torch.rand(10, 4, 12, 12)
    b = clip_batches(video, (2, 2, 2), batch_size=5, ratio=0.5, generator=torch.Generator().manual_seed(0))(0)
    assert b['video'].shape == (5, 4, 12, 12) and b['mask'].shape == (5, 8)
    m = b['mask'].view(5, 2, 4)
    assert (m[:, 0] == m[:, 1]).all() and (m.sum(-1) == 2).all()
    with pytest.raises(ValueError, match='batch_size'):
        clip_batches(video, (2, 2, 2), batch_size=0)


@pytest.mark.parametrize('target', ['sinkhorn', 'l2'])
def test_tiny_model_trains(target):
    torch.manual_seed(0)
    model = SigmaVideo(target=target, **TOY)
    g = torch.Generator().manual_seed(0)
    video = torch.rand(16, 4, 12, 12, generator=g)
    batch = clip_batches(video, model.grid, batch_size=8, ratio=0.5, generator=g)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for step in range(40):
        out = model(**batch(step))
        opt.zero_grad(); out.loss.backward(); opt.step()
        losses.append(out.loss.item())
    assert sum(losses[-5:]) < sum(losses[:5])
    assert model.encode(video[:3]).shape == (3, 2 * 24)
    z = model.project(video).flatten(0, 1).detach()
    if target == 'l2':
        assert feature_spread(z) < 0.5 * feature_spread(SigmaVideo(target=target, **TOY).project(video)
                                                          .flatten(0, 1).detach())
    with pytest.raises(ValueError, match='target'):
        SigmaVideo(target='pixels', **TOY)
