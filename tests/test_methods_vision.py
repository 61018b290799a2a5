"""Behaviour of the image method modules (MAE helpers, SimMIM) on tiny models and random images."""
import math
import pytest
import torch
from mpkit.models import MaskedAutoencoder
from mpkit.train import mae_batches, pretrain_mae
from mpkit.probes import reconstruction_errors
from mpkit.methods.vision.simmim import avg_dist


def _imgs(n=16, size=8, c=1, seed=0):
    return torch.rand(n, c, size, size, generator=torch.Generator().manual_seed(seed))


def _mae():
    torch.manual_seed(0)
    return MaskedAutoencoder(img_size=8, patch=2, in_chans=1, dim=16, depth=1, heads=2, dec_dim=16, dec_depth=1)


def test_mae_batches_are_seeded_and_checked():
    x = _imgs()
    a = mae_batches(x, batch_size=4, generator=torch.Generator().manual_seed(3))(0)
    b = mae_batches(x, batch_size=4, generator=torch.Generator().manual_seed(3))(0)
    assert torch.equal(a['imgs'], b['imgs']) and a['imgs'].shape == (4, 1, 8, 8)
    with pytest.raises(ValueError, match='float'):
        mae_batches(x.long())
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        mae_batches(x, mask_ratio=1.5)
    with pytest.raises(ValueError, match='batch_size'):
        mae_batches(x, batch_size=0)


def test_pretraining_lowers_the_hidden_error_and_is_reproducible():
    x = _imgs(64)
    before = reconstruction_errors(_mae(), x)['masked']
    m1, m2 = _mae(), _mae()
    h1 = pretrain_mae(m1, x, steps=30, seed=1, progress=False, live_plot=False)
    h2 = pretrain_mae(m2, x, steps=30, seed=1, progress=False, live_plot=False)
    assert h1.loss == h2.loss
    assert reconstruction_errors(m1, x)['masked'] < before


def test_reconstruction_errors_baselines():
    x = _imgs()
    e = reconstruction_errors(_mae(), x, train_imgs=x)
    assert e['n_masked'] == 16 * 12
    # in normalised space, predicting each patch's own mean is predicting 0: error = mean square of the target
    out = _mae().eval()(x, generator=torch.Generator().manual_seed(0))
    assert math.isclose(e['patch_mean'], float(out.target.square().mean(-1)[out.mask].mean()), rel_tol=1e-5)
    assert set(e) == {'masked', 'visible', 'patch_mean', 'position_mean', 'n_masked'}


def test_avg_dist_on_known_holes():
    m = torch.zeros(2, 9, 9, dtype=torch.bool)
    m[0, 4, 4] = True                     # a single pixel: distance 1
    m[1, 3:6, 3:6] = True                 # 3x3 hole: 8 pixels at 1, the centre at 2
    assert avg_dist(m[:1]) == 1.0
    assert math.isclose(avg_dist(m[1:]), 10 / 9)
    assert math.isclose(avg_dist(m), 11 / 10)
    with pytest.raises(ValueError, match='bool'):
        avg_dist(m.float())
