"""Behaviour of the image method modules (MAE helpers, SimMIM) on tiny models and random images."""
import math
import pytest
import torch
from mpkit.models import MaskedAutoencoder, patchify
from mpkit.losses import masked_l1
from mpkit.methods.mae import mae_batches, pretrain_mae, reconstruction_errors, probe_encoder, mask_ratio_sweep
from mpkit.methods.simmim import SimMIM, avg_dist, pixel_mask, masked_pixel_l1, hidden_l1


def _imgs(n=16, size=8, c=1, seed=0):
    return torch.rand(n, c, size, size, generator=torch.Generator().manual_seed(seed))


def _mae():
    torch.manual_seed(0)
    return MaskedAutoencoder(8, 2, 1, 16, 1, 2, 16, 1)


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


def test_probe_encoder_and_sweep_inputs():
    x, y = _imgs(40), torch.arange(40) % 2
    r = probe_encoder(_mae(), x[:30], y[:30], x[30:], y[30:])
    assert r.n_test == 10 and 0 <= r.accuracy <= 1
    with pytest.raises(ValueError, match='encode'):
        probe_encoder(torch.nn.Linear(2, 2), x, y, x, y)
    with pytest.raises(ValueError, match='empty'):
        mask_ratio_sweep(_mae, x, y, x, y, ratios=(), steps=1)


def test_avg_dist_on_known_holes():
    m = torch.zeros(2, 9, 9, dtype=torch.bool)
    m[0, 4, 4] = True                     # a single pixel: distance 1
    m[1, 3:6, 3:6] = True                 # 3x3 hole: 8 pixels at 1, the centre at 2
    assert avg_dist(m[:1]) == 1.0
    assert math.isclose(avg_dist(m[1:]), 10 / 9)
    assert math.isclose(avg_dist(m), 11 / 10)
    with pytest.raises(ValueError, match='bool'):
        avg_dist(m.float())


def test_masked_pixel_l1_matches_the_token_loss():
    x, pred = _imgs(4, 16), _imgs(4, 16, seed=1)
    mask = torch.zeros(4, 4, 4, dtype=torch.bool)
    mask[:, :2] = True
    tok = masked_l1(patchify(pred, 4), patchify(x, 4), mask.flatten(1))
    assert math.isclose(float(masked_pixel_l1(pred, x, pixel_mask(mask, 4))), float(tok), rel_tol=1e-6)
    with pytest.raises(ValueError, match='no pixel'):
        masked_pixel_l1(pred, x, torch.zeros(4, 16, 16, dtype=torch.bool))


def test_simmim_mask_token_hides_the_pixels():
    torch.manual_seed(0)
    model = SimMIM(16, 2, 1, 16, 1, 2, mask_patch=8, mask_ratio=0.5)
    x = _imgs(3, 16)
    out = model(x, generator=torch.Generator().manual_seed(0))
    assert out.mask.shape == (3, 64) and (out.mask.sum(1) == 32).all()
    changed = x.clone()
    changed[pixel_mask(out.mask.view(3, 8, 8), 2)[:, None]] = 5.0
    assert torch.allclose(model(changed, mask=out.mask).extras['hidden'], out.extras['hidden'], atol=1e-5)
    assert hidden_l1(model, x, train_imgs=x)['hidden_fraction'] == 0.5
    with pytest.raises(ValueError, match='multiple'):
        SimMIM(16, 2, 1, 16, 1, 2, mask_patch=3)
