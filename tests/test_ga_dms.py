"""Behaviour of the GA-DMS method module (mpkit.methods.multimodal.ga_dms): noise insertion, CLIP's loss,
the gradient-attention score against a hand-made backward pass, the dual masks (counts, disjointness,
hard cut, random limit), the batches of each mode, retrieval hits and the noise ranking."""
import math
import pytest
import torch
import torch.nn.functional as F
from mpkit.data import scenes
from mpkit.multimodal import WordVocab, caption_batch, scene_regions
from mpkit.methods.multimodal.ga_dms import (DMS_MODES, DualEncoder, clip_loss, distractor_words, dms_batches,
                                             dual_masks, gradient_attention_scores, insert_noise_words,
                                             noise_mask, noise_ranking, retrieval_hits)

VOCAB = WordVocab()


@pytest.fixture(scope='module')
def data():
    sc = scenes(24, seed=3)
    noisy, flags = insert_noise_words(sc['captions'], [distractor_words(o) for o in sc['objects']], seed=4)
    ids, pad = caption_batch(noisy, VOCAB, max_len=32)
    feats, _, region_pad, _ = scene_regions(sc)
    return dict(ids=ids, pad=pad, noise=noise_mask(flags, 32), words=ids > VOCAB.UNK, regions=feats,
                region_pad=region_pad, captions=sc['captions'], noisy=noisy, flags=flags)


@pytest.fixture(scope='module')
def model(data):
    torch.manual_seed(0)
    return DualEncoder(len(VOCAB), data['regions'].shape[-1], dim=32, depth=1, heads=2)


def test_noise_keeps_the_caption_and_is_wrong_about_the_scene(data):
    for cap, noisy, flag in zip(data['captions'], data['noisy'], data['flags']):
        words = noisy.split()
        assert [w for w, f in zip(words, flag) if not f] == cap.split()
        assert not {w for w, f in zip(words, flag) if f} & set(cap.split())
    assert data['noise'].sum() == sum(map(sum, data['flags']))
    with pytest.raises(ValueError, match='rate'):
        insert_noise_words(['a bag'], [['red']], rate=-1)


def test_clip_loss_is_symmetric_infonce():
    g = torch.Generator().manual_seed(0)
    t, i = (F.normalize(torch.randn(6, 8, generator=g), dim=-1) for _ in range(2))
    lg = 5. * t @ i.T
    want = (F.cross_entropy(lg, torch.arange(6)) + F.cross_entropy(lg.T, torch.arange(6))) / 2
    assert clip_loss(t, i, 5.).item() == pytest.approx(want.item(), abs=1e-6)
    assert clip_loss(t, t, 0.).item() == pytest.approx(math.log(6), abs=1e-6)


def test_score_matches_a_hand_made_backward(data, model):
    b = {k: data[k][:6] for k in ('ids', 'pad', 'regions', 'region_pad')}
    got = gradient_attention_scores(model, **b)
    kept = {}
    def keep(mod, inp, out):
        out[1].retain_grad(); kept['w'] = out[1]
    h = model.text.blocks[-1].attn.register_forward_hook(keep)
    zi = model.encode_image(b['regions'], b['region_pad'])[2]
    zt = model.encode_text(b['ids'], b['pad'], return_attention=True)[1]
    (zt * zi).sum().backward()
    h.remove(); model.zero_grad()
    want = (kept['w'].grad * kept['w'])[:, :, 0].mean(1).masked_fill(b['pad'], 0)
    torch.testing.assert_close(got, want)
    assert not got.requires_grad


def test_dual_masks_counts_hard_cut_and_random_limit(data):
    w = data['words']
    s = torch.randn(w.shape, generator=torch.Generator().manual_seed(0))
    drop, pred = dual_masks(s, w, generator=torch.Generator().manual_seed(1))
    n = w.sum(1)
    assert torch.equal(drop.sum(1), (0.25 * n).round().long())
    assert torch.equal(pred.sum(1), (0.15 * n).round().long().clamp(1, None))
    assert not (drop & pred).any() and not (drop & ~w).any() and not (pred & ~w).any()
    ramp, allw = torch.arange(8.).expand(3, 8), torch.ones(3, 8, dtype=torch.bool)
    d, p = dual_masks(ramp, allw, noise_ratio=0.25, predict_ratio=0.25, tau=1e-4)
    assert d[:, :2].all() and d.sum() == 6 and p[:, -2:].all() and p.sum() == 6
    gen = torch.Generator().manual_seed(2)
    freq = torch.stack([dual_masks(ramp, allw, tau=float('inf'), generator=gen)[0] for _ in range(500)]).float()
    assert (freq.mean((0, 1)) - 0.25).abs().max() < 0.05
    with pytest.raises(ValueError, match='tau'):
        dual_masks(ramp, allw, tau=0)


def test_batches_share_captions_across_modes_and_train(data, model):
    got = {m: dms_batches(model, data, mode=m, batch_size=8, generator=torch.Generator().manual_seed(0))(0)
           for m in DMS_MODES}
    for m in DMS_MODES[1:]:
        assert torch.equal(got[m]['ids'], got['none']['ids'])
    out = model(**got['ga'])
    assert set(out.extras) == {'itc', 'mtp'} and torch.isfinite(out.loss)
    with pytest.raises(ValueError, match='mode'):
        dms_batches(model, data, mode='bert')


def test_retrieval_hits_and_noise_ranking(data, model):
    h = retrieval_hits(model, data['ids'], data['pad'], data['regions'], data['region_pad'])
    assert h.shape == (24,) and set(h.tolist()) <= {0., 1.}
    assert retrieval_hits(model, data['ids'], data['pad'], data['regions'], data['region_pad'], k=24).all()
    r = noise_ranking(-data['noise'].float(), data['noise'], data['words'])
    assert torch.equal(r, torch.ones(24))
    with pytest.raises(ValueError, match='one image'):
        retrieval_hits(model, data['ids'][:3], data['pad'][:3], data['regions'], data['region_pad'])
