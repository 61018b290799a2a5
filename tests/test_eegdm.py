"""mpkit.methods.eeg.eegdm: log spectra, the SSM denoiser, diffusion pre-training, latents and the LFT."""
import math
import pytest
import torch
from mpkit.diffusion import DDPMSchedule
from mpkit.methods.eeg.eegdm import (LatentFusion, SSMDenoiser, diffusion_latents, log_power, pretrain_ssmdp,
                                     train_fusion)


def test_spectrum():
    tone = torch.sin(2 * math.pi * 8 * torch.arange(64) / 64)
    assert log_power(tone[None]).argmax().item() == 8
    with pytest.raises(ValueError, match='x is'): log_power(torch.zeros(3, dtype=torch.long))


def test_denoiser_pretraining_latents_and_fusion():
    torch.manual_seed(0)
    t = torch.arange(64.) / 64
    amp = torch.rand(48, 1) * 2
    x = amp * torch.sin(2 * math.pi * (2 + 6 * (amp > 1)) * t + 6 * torch.rand(48, 1)) + 0.05 * torch.randn(48, 64)
    den = SSMDenoiser(64, patch=16, dim=16, depth=2, state=4, t_dim=16)
    with torch.no_grad():
        assert torch.allclose(den(x[:2], torch.tensor([0, 3])), x[:2])     # at init: the skip alone
    sched = DDPMSchedule(20, beta_start=1e-3, beta_end=0.3)
    den, hist = pretrain_ssmdp(den, x, sched, steps=60, batch=16, lr=3e-3)
    assert len(hist) == 60 and sum(hist[-10:]) < sum(hist[:10])
    z = diffusion_latents(den, x, sched, layers=[0, 1], generator=torch.Generator().manual_seed(0))
    assert z.shape == (48, 2, 4, 16) and torch.isfinite(z).all()
    with pytest.raises(ValueError, match='layers'): diffusion_latents(den, x, sched, layers=[2])
    with pytest.raises(ValueError, match='x has shape'): den(x[:, :60], torch.tensor([0] * 48))
    y = (amp[:, 0] > 1).long()
    lft = train_fusion(LatentFusion(16, 2, 4, 2, width=16, heads=2), z, y, steps=30, batch=16)
    with torch.no_grad(): assert lft(z).shape == (48, 2)
    with pytest.raises(ValueError, match='z has shape'): lft(z[:, :1])
    with pytest.raises(ValueError, match='y is'): train_fusion(lft, z, y.float(), steps=1)
