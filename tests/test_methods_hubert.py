"""mpkit.methods.speech.hubert: HuBERT's span mask, cosine unit head, loss, model, units and baselines."""
import pytest
import torch
from hypothesis import given, settings, strategies as st
from mpkit.methods.speech.hubert import CosineUnitHead, hubert_loss, HuBERT, layer_features, masked_unit_accuracy
from mpkit.masking import hubert_span_mask, copy_nearest_visible
from mpkit.targets import fit_units, label_frames
from mpkit.models import pad_sequences


def gen(seed=0): return torch.Generator().manual_seed(seed)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 80), st.integers(1, 12), st.floats(0, 1), st.integers(0, 10_000))
def test_span_mask_stays_in_valid_frames_and_hides_something(B, L, span, p, seed):
    n = torch.randint(1, L + 1, (B, 1), generator=gen(seed))
    pad = torch.arange(L) >= n
    m = hubert_span_mask(B, L, p=p, span=span, pad=pad, generator=gen(seed))
    assert m.dtype == torch.bool and m.shape == (B, L)
    assert not (m & pad).any() and m.any(1).all()
    torch.testing.assert_close(m, hubert_span_mask(B, L, p=p, span=span, pad=pad, generator=gen(seed)))


def test_span_mask_rejects_bad_input():
    with pytest.raises(ValueError, match=r'\[0, 1\]'): hubert_span_mask(2, 10, p=-0.1)
    with pytest.raises(ValueError, match='span = 0'): hubert_span_mask(2, 10, span=0)
    with pytest.raises(ValueError, match='no real frame'): hubert_span_mask(1, 5, pad=torch.ones(1, 5, dtype=torch.bool))


def _copy_loop(units, mask):
    out = units.clone()
    for b in range(units.shape[0]):
        vis = [j for j in range(units.shape[1]) if not mask[b, j]]
        for i in range(units.shape[1]):
            out[b, i] = units[b, min(vis, key=lambda j: (abs(j - i), j))]
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(2, 40), st.integers(0, 10_000))
def test_copy_nearest_visible_matches_a_loop(B, L, seed):
    g = gen(seed)
    units = torch.randint(0, 9, (B, L), generator=g)
    mask = torch.rand(B, L, generator=g) < 0.6
    mask[:, torch.randint(L, (1,), generator=g)] = False
    torch.testing.assert_close(copy_nearest_visible(units, mask), _copy_loop(units, mask))


def test_cosine_head_and_loss():
    head = CosineUnitHead(16, 7, tau=0.1)
    h = torch.randn(2, 5, 16, generator=gen())
    logits = head(h)
    assert logits.shape == (2, 5, 7) and logits.abs().max() <= 10 + 1e-4
    units, mask = torch.randint(0, 7, (2, 5), generator=gen(1)), torch.zeros(2, 5, dtype=torch.bool)
    mask[:, 1:3] = True
    moved = logits.detach().clone(); moved[~mask] = 50.0
    torch.testing.assert_close(hubert_loss(moved, units, mask), hubert_loss(logits.detach(), units, mask))
    assert hubert_loss(moved, units, mask, alpha=0.5) != hubert_loss(logits.detach(), units, mask, alpha=0.5)
    with pytest.raises(ValueError, match='no position'): hubert_loss(logits, units, torch.zeros_like(mask))


def test_model_hides_what_is_under_the_mask():
    torch.manual_seed(0)
    model = HuBERT(6, 5, dim=32, depth=2, heads=4, pos_kernel=5, pos_groups=4).eval()
    x = torch.randn(2, 40, 6, generator=gen())
    mask = hubert_span_mask(2, 20, generator=gen(1))
    x2 = x.reshape(2, 20, 2, 6).clone(); x2[mask] = 9.0
    with torch.no_grad():
        torch.testing.assert_close(model(x2.reshape(2, 40, 6), mask=mask).pred, model(x, mask=mask).pred)
    out = model(x, torch.randint(0, 5, (2, 20), generator=gen(2)), mask)
    assert out.loss.ndim == 0 and out.pred.shape == (2, 20, 5) and len(out.hidden_states) == 2
    with pytest.raises(ValueError, match='without a mask'): model(x, torch.zeros(2, 20, dtype=torch.long))
    with pytest.raises(ValueError, match='odd number'): HuBERT(6, 5, pos_kernel=4)


def test_units_are_fitted_on_the_frames_given():
    g = gen()
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    frames = [centres[torch.randint(0, 3, (50,), generator=g)] + 0.1 * torch.randn(50, 2, generator=g) for _ in range(4)]
    cb = fit_units(frames, 3, generator=gen(1))
    labels = label_frames(frames[0], cb)
    truth = torch.cdist(frames[0], centres).argmin(1)
    # the same partition up to a renaming of the units
    assert len(set(zip(labels.tolist(), truth.tolist()))) == 3
    torch.testing.assert_close(cb.mean, torch.cat(frames).mean(0))
    with pytest.raises(ValueError, match='training frames'): fit_units([], 3)


def test_accuracy_and_features_on_a_tiny_model():
    torch.manual_seed(0)
    model = HuBERT(4, 3, dim=16, depth=1, heads=2, pos_kernel=3, pos_groups=2)
    feats = [torch.randn(n, 4, generator=gen(n)) for n in (60, 81, 104)]   # long enough to keep visible tokens
    units = [torch.randint(0, 3, (len(f) // 2,), generator=gen(len(f))) for f in feats]
    res = masked_unit_accuracy(model, feats, units, majority=0, generator=gen(3))
    assert res['n_utterances'] == 3 and 0 < res['n_hidden'] <= sum(len(u) for u in units)
    assert all(0 <= res[k] <= 1 for k in ('model', 'majority', 'copy'))
    hs = layer_features(model, feats, layer=1)
    assert [h.shape for h in hs] == [(30, 16), (40, 16), (52, 16)]
    with torch.no_grad():   # padding does not change an utterance's features
        torch.testing.assert_close(hs[0], model.hidden_states(feats[0][None])[0][0], atol=1e-5, rtol=1e-5)
    seqs, pad = pad_sequences([torch.ones(2), torch.ones(4)])
    assert seqs.shape == (2, 4) and pad.tolist() == [[False, False, True, True], [False] * 4]
