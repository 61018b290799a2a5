"""mpkit.methods.motion.humanmac: DCT coding, windows, padding, completion and displacement errors."""
import numpy as np
import pytest
import torch
from scipy.fft import dct
from mpkit.data import load_mocap
from mpkit.diffusion import DDPMSchedule
from mpkit.methods.motion.humanmac import (CoefficientMLP, MotionDCT, dct_basis, displacement_errors,
                                           humanmac_predict, motion_windows, pad_observed, root_relative)


@pytest.fixture(scope='module')
def windows():
    poses = root_relative(torch.as_tensor(load_mocap()['positions']))
    return motion_windows(poses[:200], 12, stride=4).flatten(2)          # (48, 12, 90)


def test_dct_basis_is_scipys_orthonormal_dct():
    x = np.random.default_rng(0).normal(size=(16, 3))
    D = dct_basis(16)
    torch.testing.assert_close(D @ torch.tensor(x, dtype=torch.float32),
                               torch.tensor(dct(x, axis=0, norm='ortho'), dtype=torch.float32),
                               rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(D @ D.T, torch.eye(16), rtol=0, atol=1e-5)
    assert dct_basis(16, keep=5).shape == (5, 16)


def test_coder_round_trip_and_low_pass(windows):
    full, low = MotionDCT(windows, 12), MotionDCT(windows, 4)
    torch.testing.assert_close(full.decode(full.encode(windows)), windows, rtol=0, atol=1e-3)
    c = low.encode(windows)
    assert c.shape == (48, 4, 90) and abs(c.mean().item()) < 1e-4
    torch.testing.assert_close(low.decode(c), low.basis.T @ (low.basis @ windows), rtol=0, atol=1e-3)


def test_windows_padding_and_root():
    pos = torch.randn(20, 5, 3)
    rel = root_relative(pos, root=2)
    assert rel.shape == (20, 4, 3) and torch.allclose(rel[:, 2], pos[:, 3] - pos[:, 2])
    w = motion_windows(torch.arange(20), 6, stride=5)
    assert w.tolist() == [list(range(s, s + 6)) for s in (0, 5, 10)]
    p = pad_observed(torch.arange(12.).view(2, 6), 2)
    assert p.tolist() == [[0, 1, 1, 1, 1, 1], [6, 7, 7, 7, 7, 7]]


def test_prediction_keeps_the_observation_and_errors(windows):
    coder = MotionDCT(windows, 12)                                       # lossless: exact put-back
    torch.manual_seed(0)
    net = CoefficientMLP(12, 90, width=32, depth=1)
    sched = DDPMSchedule(5, beta_start=0.05, beta_end=0.5)
    pred = humanmac_predict(net, sched, coder, windows[:3], n_obs=4, samples=2,
                            generator=torch.Generator().manual_seed(0))
    assert pred.shape == (3, 2, 12, 90)
    torch.testing.assert_close(pred[:, :, :4], windows[:3, None, :4].expand(-1, 2, -1, -1), rtol=0, atol=1e-3)
    truth = windows[:3].view(3, 12, 30, 3)
    ade, fde = displacement_errors(pred.view(3, 2, 12, 30, 3), truth, n_obs=4)
    assert ade.shape == fde.shape == (3, 2) and (ade > 0).all()
    zero, _ = displacement_errors(truth[:, None], truth, n_obs=4)
    assert (zero == 0).all()


def test_bad_input_names_the_argument(windows):
    bad = {
        'positions': lambda: root_relative(torch.zeros(5, 3)),
        'root': lambda: root_relative(torch.zeros(5, 4, 3), root=9),
        'length': lambda: motion_windows(torch.zeros(5), 0),
        'x has shape': lambda: motion_windows(torch.zeros(5), 6),
        'keep': lambda: dct_basis(4, keep=5),
        'windows': lambda: MotionDCT(torch.zeros(3, 4), 2),
        'n_obs': lambda: pad_observed(torch.zeros(2, 4), 5),
        'frames': lambda: pad_observed(torch.zeros(4), 1),
        'coef has shape': lambda: CoefficientMLP(3, 4)(torch.zeros(2, 2, 4), torch.zeros(2, dtype=torch.long)),
        'samples': lambda: humanmac_predict(CoefficientMLP(12, 90), DDPMSchedule(3), MotionDCT(windows, 12),
                                            windows[:1], n_obs=3, samples=0),
        'pred has shape': lambda: displacement_errors(torch.zeros(2, 4, 5, 3), torch.zeros(2, 4, 5, 3), n_obs=1),
        'truth has shape': lambda: displacement_errors(torch.zeros(2, 1, 4, 5, 3), torch.zeros(3, 4, 5, 3),
                                                       n_obs=1),
    }
    for word, call in bad.items():
        with pytest.raises(ValueError, match=word):
            call()
