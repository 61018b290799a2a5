"Prediction-target pieces: prosody frames of a pure tone, the weighted multi-target HuBERT."
import numpy as np
import pytest
import torch
from mpkit.methods.speech.hubert import HuBERT
from mpkit.masking import hubert_span_mask
from mpkit.methods.speech.hubert_targets import prosody_frames, MultiTargetHuBERT

def _tone(sec=1.0, f0=150.0, sr=16000):
    t = np.arange(int(sec * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * f0 * t)).astype(np.float32)

def test_prosody_of_a_tone_finds_its_pitch():
    p = prosody_frames(_tone(), 16000)
    assert p.shape == (1 + 16000 // 320, 5)
    voiced = p[:, 2] > 0.5
    assert voiced.float().mean() > 0.8
    assert abs(float(torch.exp(p[voiced, 1]).median()) - 150) < 3

def test_multi_target_sums_head_losses_and_matches_hubert_with_one_target():
    x, u = torch.randn(2, 40, 39), torch.randint(7, (2, 20, 2))
    m = hubert_span_mask(2, 20, span=4, generator=torch.Generator().manual_seed(0))
    model = MultiTargetHuBERT(39, (7, 7), weights=(1.0, 0.5))
    out = model(x, u, m)
    assert torch.allclose(out.loss, out.extras['losses'][0] + 0.5 * out.extras['losses'][1])
    torch.manual_seed(1); a = HuBERT(39, 7)
    torch.manual_seed(1); b = MultiTargetHuBERT(39, (7,))
    assert torch.allclose(a(x, u[..., 0], m).loss, b(x, u[..., :1], m).loss)
    with pytest.raises(ValueError, match='one column per target'): model(x, u[..., 0], m)
