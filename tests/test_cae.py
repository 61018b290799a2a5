"""Behaviour of the CAE method module (mpkit.methods.cae) on tiny models and random images."""
import pytest
import torch
from mpkit.masking import random_mask, gather_visible
from mpkit.methods.cae import (hidden_ids, LatentRegressor, alignment_targets, cae_loss, ContextAutoencoder,
                               effective_rank, alignment_report, align_weight_sweep)
from mpkit.methods.mae import pretrain_mae, reconstruction_errors


def _imgs(n=16, size=8, seed=0):
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(seed))


def _cae(align_weight=2.0):
    torch.manual_seed(0)
    return ContextAutoencoder(8, 2, 1, 16, 1, 2, align_weight=align_weight)


def test_hidden_ids_complete_the_kept_ones():
    info = random_mask(5, 16, 0.5, generator=torch.Generator().manual_seed(1))
    h = hidden_ids(info)
    assert h.shape == (5, 8) and info.mask.gather(1, h).all()
    assert torch.equal(torch.cat([info.ids_keep, h], 1).sort(1).values, torch.arange(16).expand(5, 16))
    with pytest.raises(ValueError, match='MaskInfo'):
        hidden_ids(info.mask)


def test_regressor_follows_positions_and_checks_shapes():
    torch.manual_seed(0)
    reg = LatentRegressor(16, 2, 2)
    vis, pv, ph = torch.randn(2, 3, 16), torch.randn(2, 3, 16), torch.randn(2, 5, 16)
    out = reg(vis, pv, ph)
    assert out.shape == (2, 5, 16)
    assert torch.allclose(reg(vis, pv, ph.flip(1)), out.flip(1), atol=1e-5)
    with pytest.raises(ValueError, match='expected'):
        reg(vis, pv[:, :2], ph)


def test_alignment_targets_carry_no_gradient():
    torch.manual_seed(0)
    enc = torch.nn.Linear(4, 4)
    tokens = torch.randn(2, 6, 4, requires_grad=True)
    t = alignment_targets(enc, tokens, torch.tensor([[0, 5], [2, 3]]))
    assert t.shape == (2, 2, 4) and not t.requires_grad
    assert torch.allclose(t[1, 0], enc(tokens[1, 2]).detach())


def test_cae_loss_parts_and_checks():
    a, b = torch.randn(2, 3, 5), torch.randn(2, 3, 4)
    total, rec, align = cae_loss(a, torch.zeros_like(a), b, torch.zeros_like(b), align_weight=0.5)
    assert torch.isclose(total, rec + 0.5 * align) and torch.isclose(rec, a.square().mean())
    with pytest.raises(ValueError, match="target's shape"):
        cae_loss(a, a[:, :2], b, b)
    with pytest.raises(ValueError, match='>= 0'):
        cae_loss(a, a, b, b, align_weight=-0.1)


def test_model_is_seeded_blind_to_hidden_pixels_and_trains():
    x, m = _imgs(), _cae()
    o1 = m(x, generator=torch.Generator().manual_seed(3))
    o2 = m(x, generator=torch.Generator().manual_seed(3))
    assert torch.equal(o1.loss, o2.loss) and o1.pred.shape == (16, 16, 4) and (o1.mask.sum(1) == 8).all()
    hide = o1.mask.view(16, 4, 4).repeat_interleave(2, 1).repeat_interleave(2, 2)[:, None]
    a, b = m(x, mask=o1.mask), m(x.masked_fill(hide, 1.0), mask=o1.mask)
    assert torch.allclose(a.pred, b.pred, atol=1e-5)
    with pytest.raises(ValueError, match='at least one'):
        m(x, mask_ratio=1.0)
    before = reconstruction_errors(m, x, mask_ratio=0.5)['masked']
    pretrain_mae(m, x, steps=30, mask_ratio=0.5, seed=1, progress=False, live_plot=False)
    assert reconstruction_errors(m, x, mask_ratio=0.5)['masked'] < before


def test_effective_rank_and_reports():
    assert abs(effective_rank(torch.tensor([[1., 0], [-1, 0], [0, 1], [0, -1]])) - 2) < 1e-9
    assert effective_rank(torch.ones(5, 3)) == 1.0
    with pytest.raises(ValueError, match='(N, D)'):
        effective_rank(torch.ones(3))
    r = alignment_report(_cae(), _imgs())
    assert set(r) == {'align_mse', 'cosine', 'retrieval', 'chance'} and r['chance'] == 1 / 8


def test_align_weight_sweep_rows():
    x, yl = _imgs(20), torch.arange(20) % 2
    rows = align_weight_sweep(lambda align_weight: ContextAutoencoder(8, 2, 1, 16, 1, 2, align_weight=align_weight),
                              x, yl, x, yl, weights=(0.0, 1.0), steps=2)
    assert [r['align_weight'] for r in rows] == [0.0, 1.0] and all(r['effective_rank'] >= 1 for r in rows)
    with pytest.raises(ValueError, match='empty'):
        align_weight_sweep(_cae, x, yl, x, yl, weights=(), steps=1)
