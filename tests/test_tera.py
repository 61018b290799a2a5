"TERA pieces: the alteration policy and the L1 on altered bins."
import pytest
import torch
from mpkit.methods.speech.tera import tera_alter, tera_l1, TERA

def test_alteration_rates_match_tera_defaults():
    a = tera_alter(torch.randn(3000, 200, 40), generator=torch.Generator().manual_seed(0))
    assert 0.10 < a.time.float().mean() < 0.16
    assert torch.allclose(torch.bincount(a.policy, minlength=3).float() / 3000, torch.tensor([0.8, 0.1, 0.1]), atol=0.025)
    assert abs(a.noisy.float().mean() - 0.15) < 0.025
    assert a.freq.sum(1).max() <= 8
    assert torch.equal(a.loss_mask, a.time[..., None] | a.freq[:, None, :])

def test_model_loss_is_l1_on_altered_bins():
    x = torch.randn(2, 50, 8)
    a = tera_alter(x, generator=torch.Generator().manual_seed(3))
    out = TERA(8, dim=16, heads=2)(a.altered, x, a.loss_mask)
    assert torch.allclose(out.loss, (out.pred - x).abs()[a.loss_mask].mean())
    with pytest.raises(ValueError, match='no bin'): tera_l1(x, x, torch.zeros_like(x, dtype=torch.bool))
