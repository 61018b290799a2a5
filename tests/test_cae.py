"""Behaviour of the CAE method module (mpkit.methods.vision.cae) on tiny models and random images."""
import pytest
import torch
from mpkit.methods.vision.cae import ContextAutoencoder
from mpkit.train import pretrain_mae
from mpkit.probes import reconstruction_errors


def _imgs(n=16, size=8, seed=0):
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(seed))


def _cae(align_weight=2.0):
    torch.manual_seed(0)
    return ContextAutoencoder(img_size=8, patch=2, in_chans=1, dim=16, depth=1, heads=2, align_weight=align_weight)


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
