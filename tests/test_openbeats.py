"""mpkit.methods.speech.openbeats: windows, tokenizers, model, masked-patch accuracy."""
import pytest
import torch
from hypothesis import given, settings, strategies as st
from mpkit.masking import random_mask
from mpkit.methods.speech.openbeats import spectrogram_windows, RandomProjectionTokenizer, PatchTokenModel, FeatureTokenizer, masked_patch_accuracy


def gen(seed=0): return torch.Generator().manual_seed(seed)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 200), st.integers(1, 70))
def test_windows_cover_the_spectrogram(T, frames):
    spec = torch.randn(T, 3, generator=gen(T))
    w = spectrogram_windows(spec, frames=frames, pad_value=-7.0)
    assert w.shape == (-(-T // frames), frames, 3)
    flat = w.reshape(-1, 3)
    torch.testing.assert_close(flat[:T], spec)
    assert (flat[T:] == -7.0).all()


def test_random_projection_tokenizer_is_frozen_and_seeded():
    w = torch.randn(20, 16, 8, generator=gen())
    a, b = (RandomProjectionTokenizer(w, 10, patch=4, generator=gen(3)) for _ in range(2))
    assert torch.equal(a(w), b(w)) and a(w).shape == (20, 8) and int(a(w).max()) < 10


def test_model_accuracy_and_feature_tokenizer():
    torch.manual_seed(0)
    model = PatchTokenModel(6, frames=16, n_mels=8, patch=4, dim=16, heads=2, pred_dim=16)
    w = torch.randn(10, 16, 8, generator=gen())
    tokens = RandomProjectionTokenizer(w, 6, patch=4, generator=gen(1))(w)
    out = model(w, *random_mask(10, 8, 0.75, generator=gen(2)), tokens=tokens)
    assert out.pred.shape == (10, 8, 6) and torch.isfinite(out.loss)
    res = masked_patch_accuracy(model, w, tokens, majority=0, generator=gen(4))
    again = masked_patch_accuracy(model, w, tokens, majority=0, generator=gen(4))
    assert res['model'] == again['model'] and res['n_windows'] == 10 and 0 <= res['copy'] <= 1
    tok = FeatureTokenizer(model, w, 3, generator=gen(5))
    assert tok(w).shape == (10, 8) and int(tok(w).max()) < 3
    with pytest.raises(ValueError, match='same non-zero number'): masked_patch_accuracy(model, w[:2], tokens, majority=0)
