"""Behaviour of the UNITER method module (mpkit.methods.multimodal.uniter): conditional masks never hide both
modalities of an example, the three masked-region losses against torch's own, the WRA plan against POT, and a
tiny UNITER that learns on generated scenes."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mpkit.data import scenes
from mpkit.multimodal import WordVocab, caption_batch, scene_regions
from mpkit.methods.multimodal.uniter import (MRM_VARIANTS, UNITER, RegionDetector, modality_masks, ot_distance,
                                             region_loss, uniter_batches, word_candidates, wra_loss)

VOCAB = WordVocab()


def _data(n=64, seed=0):
    sc = scenes(n, seed=seed)
    ids, pad = caption_batch(sc['captions'], VOCAB)
    regions, _, region_pad, labels = scene_regions(sc)
    return dict(ids=ids, pad=pad, regions=regions, region_pad=region_pad, labels=labels,
                soft=F.one_hot(labels.clamp_min(0), 10).float())


def test_conditional_masks_are_one_modality_and_a_subset_of_joint():
    d = _data(200)
    wo, ro = word_candidates(d['ids']), ~d['region_pad']
    c = modality_masks(wo, ro, generator=torch.Generator().manual_seed(5))
    j = modality_masks(wo, ro, joint=True, generator=torch.Generator().manual_seed(5))
    assert not (c.words.any(1) & c.regions.any(1)).any()
    assert (c.words.any(1) | c.regions.any(1)).all()
    assert (j.words.any(1) & j.regions.any(1)).all()
    assert not (c.words & ~j.words).any() and not (c.regions & ~j.regions).any()
    assert not (j.words & ~wo).any() and not (j.regions & ~ro).any()
    with pytest.raises(ValueError, match='word_ok'):
        modality_masks(d['ids'], ro)


def test_region_losses_match_torch():
    g = torch.Generator().manual_seed(0)
    pred, target = torch.randn(7, 12, generator=g), torch.randn(7, 12, generator=g)
    logits = torch.randn(7, 10, generator=g)
    soft = torch.rand(7, 10, generator=g).softmax(-1)
    torch.testing.assert_close(region_loss(pred, logits, target, soft, variant='mrfr'),
                               F.mse_loss(pred, target, reduction='none').mean(-1))
    torch.testing.assert_close(region_loss(pred, logits, target, soft, variant='mrc'),
                               F.cross_entropy(logits, soft.argmax(-1), reduction='none'))
    torch.testing.assert_close(region_loss(pred, logits, target, soft, variant='mrc-kl'),
                               F.kl_div(logits.log_softmax(-1), soft, reduction='none').sum(-1))
    assert set(MRM_VARIANTS) == {'mrfr', 'mrc', 'mrc-kl'}
    with pytest.raises(ValueError, match='variant'):
        region_loss(pred, logits, target, soft, variant='l1')


def test_ot_plan_matches_pot_and_respects_padding():
    ot = pytest.importorskip('ot')
    d = _data(6)
    g = torch.Generator().manual_seed(1)
    text, image = torch.randn(6, d['ids'].shape[1], 16, generator=g), torch.randn(6, 4, 16, generator=g)
    wo, ro = word_candidates(d['ids']), ~d['region_pad']
    dist, plan = ot_distance(text, image, wo, ro)
    cost = 1 - F.normalize(text, dim=-1) @ F.normalize(image, dim=-1).transpose(1, 2)
    for i in range(6):
        M = cost[i][wo[i]][:, ro[i]].double().numpy()
        ref = ot.sinkhorn(np.full(M.shape[0], 1 / M.shape[0]), np.full(M.shape[1], 1 / M.shape[1]), M,
                          reg=0.1, numItermax=50, stopThr=0.0)
        np.testing.assert_allclose(plan[i][wo[i]][:, ro[i]].double().numpy(), ref, atol=1e-5)
        assert plan[i][~wo[i]].abs().sum() == 0 and plan[i][:, ~ro[i]].abs().sum() == 0
        assert dist[i].item() == pytest.approx(float((M * ref).sum()), abs=1e-4)
    assert wra_loss(torch.tensor([1., 3.]), torch.tensor([True, False])).item() == pytest.approx(-1.0)
    with pytest.raises(ValueError, match='match'):
        wra_loss(dist, torch.ones(6))


def test_detector_and_tiny_uniter_learn():
    d = _data(256)
    det = RegionDetector(d['regions'][~d['region_pad']], d['labels'][~d['region_pad']], steps=100)
    acc = (det(d['regions'][~d['region_pad']]).argmax(-1) == d['labels'][~d['region_pad']]).float().mean()
    assert acc > 0.5
    with pytest.raises(ValueError, match='labels'):
        RegionDetector(d['regions'][:10, 0], d['labels'][:9, 0])
    torch.manual_seed(0)
    model = UNITER(len(VOCAB), d['regions'].shape[-1], dim=32, depth=1, heads=2)
    bf = uniter_batches(d, batch_size=32, generator=torch.Generator().manual_seed(0))
    b = bf(0)
    first = model(**b)
    assert set(first.extras) == {'mlm', 'mrfr', 'mrc-kl', 'itm', 'wra'}
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for s in range(60):
        loss = model(**bf(s)).loss
        opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        assert model(**b).extras['mlm'] < 0.7 * first.extras['mlm']
    with pytest.raises(ValueError, match='mrm'):
        UNITER(len(VOCAB), d['regions'].shape[-1], mrm=('pixels',))
    with pytest.raises(ValueError, match='data'):
        uniter_batches({'ids': d['ids']})
