"""mpkit.methods.eeg.neuronet: frames, spectra, NT-Xent, the two-view loss, pre-training and the stager."""
import math
import pytest
import torch
from mpkit.data import epoch_frames
from mpkit.methods.eeg.neuronet import (FrameEncoder, NeuroNet, SleepStager, frame_spectrum,
                                        nt_xent, pretrain_neuronet, train_stager)


def test_frames_and_spectrum():
    x = torch.randn(3, 100)
    f = epoch_frames(x, frame=32)
    assert f.shape == (3, 3, 32) and torch.equal(f[1, 2], x[1, 64:96])
    tone = torch.sin(2 * math.pi * 5 * torch.arange(32) / 32)
    assert frame_spectrum(tone[None]).argmax().item() == 5
    with pytest.raises(ValueError, match='frame'): epoch_frames(x, frame=200)
    with pytest.raises(ValueError, match='frames'): frame_spectrum(torch.zeros(3, dtype=torch.long))


def test_nt_xent():
    z = torch.randn(8, 5)
    assert nt_xent(z, z, temperature=0.01) < 0.05
    assert abs(nt_xent(torch.ones(4, 2), torch.ones(4, 2)).item() - math.log(7)) < 1e-5
    with pytest.raises(ValueError, match='z1, z2'): nt_xent(z, z[:2])


def test_pretrain_lowers_both_losses_and_stager_shapes():
    torch.manual_seed(0)
    t = torch.arange(16 * 8 * 32.).view(16, 8 * 32) / 32
    amp = torch.rand(16, 1) * 2
    epochs = epoch_frames(amp * torch.sin(2 * math.pi * (2 + 6 * (amp > 1)) * t / 8) + 0.1 * torch.randn(16, 256),
                          frame=32)
    enc = FrameEncoder(32, 8, dim=16, depth=1, heads=2)
    model, hist = pretrain_neuronet(enc, epochs, steps=30, batch=8, lr=3e-3)
    assert model.encoder is enc and len(hist) == 30
    assert hist[-1]['reconstruction'] < hist[0]['reconstruction']
    out = model(epochs[:4])
    assert out.pred.shape == (4, 8, 17) and out.mask.sum(1).tolist() == [6] * 4
    stager = SleepStager(enc)
    y = (amp[:16, 0] > 1).long().view(2, 8)
    train_stager(stager, epochs.view(2, 8, 8, 32), y, steps=2, batch=2)
    assert stager(epochs.view(2, 8, 8, 32)).shape == (2, 8, 5)
    with pytest.raises(ValueError, match='mask_ratio'): NeuroNet(enc, mask_ratio=0)
    with pytest.raises(ValueError, match='epochs'): pretrain_neuronet(enc, epochs[0], steps=1)
    with pytest.raises(ValueError, match='stages'): train_stager(stager, epochs.view(2, 8, 8, 32), y[:, :3], steps=1)
