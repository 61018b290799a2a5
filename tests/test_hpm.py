"""Behaviour of the HPM method module (mpkit.methods.vision.hpm) on tiny models and random images."""
import pytest
import torch
from mpkit.methods.vision.hpm import easy_to_hard, hard_mask, HardPatchesMAE, hpm_batches, pretrain_hpm, HardPatchExplorer


def _imgs(n=16, size=8, seed=0):
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(seed))


def _hpm():
    torch.manual_seed(0)
    return HardPatchesMAE(img_size=8, patch=2, in_chans=1, dim=16, depth=1, heads=2, dec_dim=16, dec_depth=1)


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


def test_pretraining_is_reproducible_and_batches_carry_the_schedule():
    x = _imgs(32)
    b = hpm_batches(x, steps=8, batch_size=4, generator=torch.Generator().manual_seed(0))
    assert b(7)['alpha_t'] == 0.5 and b(0)['imgs'].shape == (4, 1, 8, 8)
    h1 = pretrain_hpm(_hpm(), x, steps=6, seed=1, progress=False, live_plot=False)
    h2 = pretrain_hpm(_hpm(), x, steps=6, seed=1, progress=False, live_plot=False)
    assert h1.loss == h2.loss
    with pytest.raises(ValueError, match='(N, C, H, W)'):
        hpm_batches(x[:, 0], steps=4)


def test_explorer_switches_between_maskers():
    m, x = _hpm(), _imgs(3)
    ex = HardPatchExplorer(m, x, seed=0)
    assert ex.stats['masker'] == 'predicted-hard' and ex.stats['hidden'] == 12
    ex.masker.value = 'random'
    assert ex.stats['masker'] == 'random' and ex.stats['hidden'] == 12
    ex.sample.value = 2
    assert 'predicted-hard' in ex.masker.options
