"""The vision-and-language core (mpkit.multimodal) and its data (mpkit.data.scenes): scenes are reproducible and
consistent with their captions, region features equal crop-then-resize, both encoders respect padding and masks,
the Sinkhorn plan equals POT's, and a tiny two-stream model learns to match images with captions."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mpkit.data import SCENE_COLOURS, SCENE_SIZES, SCENE_WORDS, scenes
from mpkit.multimodal import (ITMHead, MaskedWordHead, RegionHeads, SingleStreamEncoder, TwoStreamEncoder,
                              WordVocab, caption_batch, itm_pairs, region_features, scene_regions, sinkhorn_plan,
                              word_region_attention)


@pytest.fixture(scope='module')
def sc():
    return scenes(24, seed=3)


def test_scenes_same_seed_same_scenes_and_consistent(sc):
    again = scenes(24, seed=3)
    assert torch.equal(again['images'], sc['images']) and again['captions'] == sc['captions']
    assert again['questions'] == sc['questions'] and again['answers'] == sc['answers']
    assert sc['images'].shape == (24, 3, 48, 48) and sc['images'].dtype == torch.float32
    for objs, cap in zip(sc['objects'], sc['captions']):
        assert 2 <= len(objs) <= 4 and len({o['cls'] for o in objs}) == len(objs)
        for o in objs:
            assert o['colour'] in SCENE_COLOURS and o['size'] in SCENE_SIZES
            assert f"{o['size']} {o['colour']} {o['name']}" in cap
    assert set(' '.join(sc['captions'] + sc['questions'] + sc['answers']).split()) <= set(SCENE_WORDS)


def test_scenes_test_split_uses_other_garments_and_rules():
    a, b = scenes(8, seed=0), scenes(8, seed=0, split='test')
    assert a['captions'] == b['captions'] and not torch.equal(a['images'], b['images'])
    r = scenes(50, rules=[(2, 7)], seed=1)
    assert all({2, 7} <= {o['cls'] for o in objs} for objs in r['objects']) and set(r['rule']) == {(2, 7)}
    with pytest.raises(ValueError, match='rules'):
        scenes(3, rules=[(2, 12)])
    with pytest.raises(ValueError, match='objects'):
        scenes(3, objects=(0, 2))


def test_vocab_and_batch(sc):
    v = WordVocab()
    assert (v.PAD, v.CLS, v.SEP, v.MASK, v.UNK) == (0, 1, 2, 3, 4) and len(v) == 5 + len(SCENE_WORDS)
    ids, pad = caption_batch(sc['questions'], v, max_len=12)
    assert ids.shape == (24, 12) and torch.equal(pad, ids == 0) and (ids[:, 0] == v.CLS).all()
    assert v.decode(caption_batch([sc['questions'][0]], v)[0][0]) == sc['questions'][0]


def test_region_features_equal_crop_then_resize(sc):
    feats, boxes, rpad, labels = scene_regions(sc, size=6)
    assert feats.shape == (24, 4, 3 * 36 + 5) and torch.equal(rpad, labels == -100)
    for i in range(3):
        for j, o in enumerate(sc['objects'][i]):
            x0, y0, x1, y1 = o['box']
            crop = F.interpolate(sc['images'][i:i + 1, :, y0:y1, x0:x1], size=(6, 6), mode='bilinear',
                                 align_corners=False)
            torch.testing.assert_close(feats[i, j, :108], crop.flatten(), atol=1e-4, rtol=0)
            assert labels[i, j] == o['cls']
    assert feats[rpad].abs().max() == 0
    with pytest.raises(ValueError, match='boxes'):
        region_features(sc['images'], boxes[..., :3])


@pytest.mark.parametrize('cls', [SingleStreamEncoder, TwoStreamEncoder])
def test_encoders_padding_masks_attention(sc, cls):
    torch.manual_seed(0)
    v = WordVocab()
    feats, _, rpad, _ = scene_regions(sc)
    ids, pad = caption_batch(sc['captions'], v)
    m = cls(len(v), feats.shape[-1], dim=32, heads=2).eval()
    with torch.no_grad():
        out = m(ids, pad, feats, rpad)
        B, L, R = ids.shape[0], ids.shape[1], 4
        assert out.text.shape == (B, L, 32) and out.image.shape == (B, R, 32) and out.pooled.shape == (B, 32)
        a = word_region_attention(out)
        assert a.shape == (B, L, R) and torch.allclose(a.sum(-1), torch.ones(B, L), atol=1e-5)
        assert a.masked_select(rpad[:, None, :].expand(B, L, R)).abs().max() == 0
        # a changed padding word or padding region changes nothing real
        ids2, feats2 = ids.masked_fill(pad, v.stoi['bag']), feats + rpad[..., None] * 5.0
        out2 = m(ids2, pad, feats2, rpad)
        torch.testing.assert_close(out2.text[~pad], out.text[~pad], atol=1e-5, rtol=0)
        torch.testing.assert_close(out2.image[~rpad], out.image[~rpad], atol=1e-5, rtol=0)
        wm = torch.zeros_like(pad); wm[:, 1] = True
        torch.testing.assert_close(m(ids, pad, feats, rpad, word_mask=wm).hidden,
                                   m(ids.masked_fill(wm, v.MASK), pad, feats, rpad).hidden)
    with pytest.raises(ValueError, match='region_pad'):
        m(ids, pad, feats, rpad[:, :2])


def test_heads_and_itm_pairs():
    perm, match = itm_pairs(9, generator=torch.Generator().manual_seed(0))
    assert (~match).sum() == 4 and (perm[~match] != torch.arange(9)[~match]).all()
    assert torch.equal(perm[match], torch.arange(9)[match])
    h = torch.randn(3, 5, 16)
    assert ITMHead(16)(h[:, 0]).shape == (3,) and MaskedWordHead(16, 40)(h).shape == (3, 5, 40)
    f, c = RegionHeads(16, 20, n_classes=7)(h)
    assert f.shape == (3, 5, 20) and c.shape == (3, 5, 7)


def test_sinkhorn_matches_pot():
    ot = pytest.importorskip('ot')
    g = torch.Generator().manual_seed(0)
    for n, m, eps in ((3, 5, 0.1), (7, 4, 0.3), (6, 6, 0.05)):
        C = torch.rand(2, n, m, generator=g, dtype=torch.float64)
        a = torch.rand(2, n, generator=g, dtype=torch.float64) + 0.1
        b = torch.rand(2, m, generator=g, dtype=torch.float64) + 0.1
        P = sinkhorn_plan(C, a, b, eps=eps, iters=2000)
        for k in range(2):
            ref = ot.sinkhorn((a[k] / a[k].sum()).numpy(), (b[k] / b[k].sum()).numpy(), C[k].numpy(), eps,
                              numItermax=10000, stopThr=1e-12)
            np.testing.assert_allclose(P[k].numpy(), ref, atol=1e-5)
    P = sinkhorn_plan(torch.rand(4, 3, generator=g), torch.tensor([1., 1., 0., 1.]))
    assert P[2].abs().max() == 0 and torch.allclose(P.sum(0), torch.full((3,), 1 / 3), atol=1e-4)
    with pytest.raises(ValueError, match='eps'):
        sinkhorn_plan(torch.rand(3, 3), eps=-1.0)


def test_two_stream_learns_region_classes():
    "100 steps on 128 scenes: the class of each region (from its crop) well above chance (10 %) on new scenes."
    torch.manual_seed(0)
    v = WordVocab()
    def data(seed):
        sc = scenes(128, seed=seed)
        feats, _, rpad, labels = scene_regions(sc, size=6)
        return (*caption_batch(sc['captions'], v), feats, rpad, labels)
    ids, pad, feats, rpad, labels = data(5)
    enc = TwoStreamEncoder(len(v), feats.shape[-1], dim=32, depth_l=1, depth_r=1, depth_x=1, heads=2)
    head = RegionHeads(32, feats.shape[-1])
    opt = torch.optim.AdamW([*enc.parameters(), *head.parameters()], lr=3e-3)
    for step in range(100):
        _, logits = head(enc(ids, pad, feats, rpad, return_attention=False).image)
        loss = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100)
        opt.zero_grad(); loss.backward(); opt.step()
    ids, pad, feats, rpad, labels = data(6)
    with torch.no_grad():
        _, logits = head(enc(ids, pad, feats, rpad, return_attention=False).image)
    acc = (logits.argmax(-1) == labels)[~rpad].float().mean().item()
    assert acc > 0.4, acc
