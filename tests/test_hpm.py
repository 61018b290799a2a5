"""Behaviour of the HPM method module (mpkit.methods.hpm) on tiny models and random images."""
import math
import pytest
import torch
from scipy.stats import spearmanr
from mpkit.methods.hpm import (ranking_loss, easy_to_hard, hard_mask, HardPatchesMAE, hpm_batches, pretrain_hpm,
                               patch_difficulty, rank_quality, HardPatchExplorer)


def _imgs(n=16, size=8, seed=0):
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(seed))


def _hpm():
    torch.manual_seed(0)
    return HardPatchesMAE(8, 2, 1, 16, 1, 2, 16, 1)


def test_ranking_loss_matches_the_reference_and_only_sees_order():
    s, t = torch.randn(4, 7), torch.rand(4, 7)
    pos, neg = t[:, None, :] > t[:, :, None], t[:, None, :] < t[:, :, None]
    m = s[:, None, :] - s[:, :, None]
    ref = (-pos.int() * torch.log(torch.sigmoid(m) + 1e-6) - neg.int() * torch.log(1 - torch.sigmoid(m) + 1e-6)).sum() / (pos | neg).sum()
    every = torch.ones(4, 7, dtype=torch.bool)
    assert torch.isclose(ranking_loss(s, t, every), ref, atol=1e-4)
    assert torch.isclose(ranking_loss(s + 3, t * 5, every), ranking_loss(s, t, every), atol=1e-6)
    assert torch.isclose(ranking_loss(torch.zeros(4, 7), t, every), torch.tensor(math.log(2)))
    assert ranking_loss(s, t, torch.zeros(4, 7, dtype=torch.bool)) == 0
    with pytest.raises(ValueError, match='bool'):
        ranking_loss(s, t, every.float())


def test_schedule_and_hard_mask():
    assert easy_to_hard(0, 4) == 0.125 and easy_to_hard(3, 4, alpha=1.0) == 1.0
    with pytest.raises(ValueError, match='step'):
        easy_to_hard(4, 4)
    sc = torch.randn(50, 16, generator=torch.Generator().manual_seed(2))
    m = hard_mask(sc, 0.75, 0.5, generator=torch.Generator().manual_seed(0))
    assert (m.sum(1) == 12).all() and m.gather(1, sc.topk(6, dim=1).indices).all()
    assert torch.equal(m, hard_mask(sc, 0.75, 0.5, generator=torch.Generator().manual_seed(0)))
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        hard_mask(sc, 0.75, 1.5)


def test_model_mines_top_scores_and_adds_the_ranking_loss():
    m, x = _hpm(), _imgs()
    out = m(x, generator=torch.Generator().manual_seed(0), alpha_t=1.0)
    assert out.mask.gather(1, m.predict_scores(x).topk(12, dim=1).indices).all()
    assert torch.isclose(out.loss.detach(), out.extras['reconstruction'] + out.extras['ranking'])
    out.loss.backward()
    assert m.loss_predictor.head.weight.grad.abs().sum() > 0


def test_pretraining_is_reproducible_and_batches_carry_the_schedule():
    x = _imgs(32)
    b = hpm_batches(x, steps=8, batch_size=4, generator=torch.Generator().manual_seed(0))
    assert b(7)['alpha_t'] == 0.5 and b(0)['imgs'].shape == (4, 1, 8, 8)
    h1 = pretrain_hpm(_hpm(), x, steps=6, seed=1, progress=False, live_plot=False)
    h2 = pretrain_hpm(_hpm(), x, steps=6, seed=1, progress=False, live_plot=False)
    assert h1.loss == h2.loss
    with pytest.raises(ValueError, match='(N, C, H, W)'):
        hpm_batches(x[:, 0], steps=4)


def test_patch_difficulty_and_rank_quality():
    m, x = _hpm(), _imgs(6)
    d = patch_difficulty(m, x, seed=3)
    assert d.shape == (6, 16) and torch.isfinite(d).all() and torch.equal(d, patch_difficulty(m, x, seed=3))
    a, b = torch.randn(6, 16), torch.randn(6, 16)
    r = rank_quality(a, b, k=4)
    want = torch.tensor([spearmanr(a[i], b[i]).statistic for i in range(6)], dtype=torch.float64)
    assert torch.allclose(r['spearman_per_image'], want) and r['topk_chance'] == 0.25
    assert rank_quality(b, b, k=4)['topk'] == 1.0
    with pytest.raises(ValueError, match='visible'):
        patch_difficulty(m, x, mask_ratio=1.0)


def test_explorer_switches_between_maskers():
    m, x = _hpm(), _imgs(3)
    ex = HardPatchExplorer(m, x, seed=0)
    assert ex.stats['masker'] == 'predicted-hard' and ex.stats['hidden'] == 12
    ex.masker.value = 'random'
    assert ex.stats['masker'] == 'random' and ex.stats['hidden'] == 12
    ex.sample.value = 2
    assert 'predicted-hard' in ex.masker.options
