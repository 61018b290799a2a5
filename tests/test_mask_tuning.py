"Tests of mpkit.methods.vision.mask_tuning: weight masks, gradient dropout, the teacher KL, freezing and the few-shot split."
import pytest
import torch
from mpkit.models import MaskedAutoencoder
from mpkit.methods.vision.mask_tuning import WeightMask, add_weight_masks, masked_share, gradient_dropout, kl_to_teacher, few_shot_split, shot_batches
from mpkit.probes import EncoderClassifier

ATTN = r'^encoder\.blocks\.\d+\.attn\.'


def tiny():
    torch.manual_seed(0)
    return MaskedAutoencoder(img_size=8, patch=4, in_chans=1, dim=16, depth=1, heads=2, dec_dim=16, dec_depth=1)


def test_masks_start_on_and_only_scores_train():
    m = tiny()
    x = torch.rand(3, 1, 8, 8)
    before = m.encode(x).detach()
    masks = add_weight_masks(m, include=ATTN)
    assert set(masks) == {'encoder.blocks.0.attn.qkv', 'encoder.blocks.0.attn.proj'}
    assert torch.allclose(m.encode(x), before, atol=1e-6)
    assert masked_share(masks)['all'] == 0.0
    assert all('scores' in n for n, p in m.named_parameters() if p.requires_grad)
    with pytest.raises(ValueError, match='at least one'): add_weight_masks(tiny(), include='nope')
    with pytest.raises(ValueError, match='scale > threshold'): WeightMask((2,), scale=0.001)


def test_gradient_dropout_keep_rates():
    g = torch.ones(50000)
    gen = torch.Generator().manual_seed(0)
    assert (gradient_dropout(g, 3 * g, generator=gen) == g).all()
    kept = (gradient_dropout(g, -3 * g, generator=gen) != 0).float().mean().item()
    assert kept == pytest.approx(0.25, abs=0.01)
    with pytest.raises(ValueError, match='lam'): gradient_dropout(g, g, lam=2.0)


def test_kl_to_teacher_minimum_at_teacher():
    t = torch.randn(5, 4)
    assert kl_to_teacher(t, t) < kl_to_teacher(torch.zeros(5, 4), t)


def test_probe_and_full_finetune_freezing():
    probe, full = EncoderClassifier(tiny(), 16, 3), EncoderClassifier(tiny(), 16, 3, train_encoder=True)
    assert not any(p.requires_grad for p in probe.encoder.parameters())
    assert all(p.requires_grad for p in full.encoder.parameters())


def test_few_shot_split_and_batches():
    y = torch.arange(30) % 3
    shots, rest = few_shot_split(y, 4, pool=24, generator=torch.Generator().manual_seed(0))
    assert torch.bincount(y[shots]).tolist() == [4, 4, 4] and (shots < 24).all() and len(rest) == 18
    b = shot_batches(torch.rand(30, 1, 8, 8), y, batch_size=5, generator=torch.Generator().manual_seed(0))(0)
    assert b['imgs'].shape == (5, 1, 8, 8) and b['labels'].shape == (5,)
    with pytest.raises(ValueError, match='at least shots'): few_shot_split(y, 20)
