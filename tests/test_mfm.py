"""Behaviour of the MFM method module (mpkit.methods.vision.mfm) on tiny scenes and untrained networks."""
import pytest
import torch
from mpkit.data import FASHION_GROUPS, compose_scenes
from mpkit.models import SegNet
from mpkit.methods.vision.mfm import shift_domain, feature_mask, Rebuilder, pseudo_labels, class_mix, mfm_loss, UDASegmenter, uda_batches, train_uda
from mpkit.probes import predict_classes
from mpkit.train import ema_update
from mpkit.probes import confusion_iou, segmentation_scores, paired_miou_gap


def _items(n=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 28, 28, generator=g), torch.tensor(FASHION_GROUPS)[torch.randint(10, (n,), generator=g)]


def _scenes(n=6, seed=0):
    return compose_scenes(*_items(), n, seed=seed)


def test_scenes_are_seeded_and_labelled_where_items_are():
    a, b = _scenes(seed=3), _scenes(seed=3)
    assert torch.equal(a['images'], b['images']) and torch.equal(a['labels'], b['labels'])
    assert not torch.equal(a['labels'], _scenes(seed=4)['labels'])
    assert torch.equal(a['images'][:, 0] > 0, a['labels'] > 0)
    with pytest.raises(ValueError, match='item_size'):
        compose_scenes(*_items(), 2, item_size=40)


def test_shift_keeps_labels_and_checks_textures():
    sc = _scenes()
    tex = torch.rand(3, 40, 40, generator=torch.Generator().manual_seed(1))
    x = shift_domain(sc['images'], sc['labels'], tex, noise=0.0, texture=0.0, contrast=0.5)
    assert torch.allclose(x, 0.5 * sc['images'])
    with pytest.raises(ValueError, match='h >= 32'):
        shift_domain(sc['images'], sc['labels'], tex[:, :20])


def test_feature_mask_count_and_rebuilder_only_sees_visible_features():
    m = feature_mask(3, 8, 8, 0.25, generator=torch.Generator().manual_seed(0))
    assert m.shape == (3, 8, 8) and (m.sum((1, 2)) == 16).all()
    torch.manual_seed(0)
    reb, f = Rebuilder(8), torch.randn(3, 8, 8, 8)
    f2 = f.clone(); f2[:, :, m[0]] += 5.0                         # change only positions hidden in image 0
    assert torch.equal(reb(f, m)[0], reb(torch.where(m[:, None], f2, f), m)[0])
    with pytest.raises(ValueError, match='bool tensor'):
        reb(f, m.float())


def test_pseudo_labels_mix_and_ema():
    logits = torch.zeros(2, 4, 4, 4); logits[0, 2] = 10.0
    pl, w = pseudo_labels(logits)
    assert (pl[0] == 2).all() and w.tolist() == [1.0, 0.0]
    sx, sy = torch.ones(2, 1, 4, 4), torch.zeros(2, 4, 4, dtype=torch.long); sy[:, 0, 0] = 3
    mx, my = class_mix(sx, sy, torch.zeros(2, 1, 4, 4), pl)
    assert my[0, 0, 0] == 3 and my[0, 1, 1] == 2 and mx[:, 0, 0, 0].eq(1).all() and mx[:, 0, 1, 1].eq(0).all()
    a, b = SegNet(dim=8), SegNet(dim=8)
    before = a.head[0].weight.clone()
    ema_update(a, b, alpha=0.5)
    assert torch.allclose(a.head[0].weight, (before + b.head[0].weight) / 2)
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        pseudo_labels(logits, threshold=1.5)


def test_mfm_loss_is_seeded_and_weighted():
    torch.manual_seed(0)
    net, reb, sc = SegNet(dim=8), Rebuilder(8), _scenes(4)
    l1 = mfm_loss(net, reb, sc['images'], sc['labels'], torch.ones(4), generator=torch.Generator().manual_seed(1))
    l2 = mfm_loss(net, reb, sc['images'], sc['labels'], torch.ones(4), generator=torch.Generator().manual_seed(1))
    half = mfm_loss(net, reb, sc['images'], sc['labels'], torch.full((4,), 0.5), generator=torch.Generator().manual_seed(1))
    assert torch.equal(l1, l2) and torch.isclose(half, l1 / 2)


def test_uda_training_moves_the_teacher_and_keeps_the_deployed_net_small():
    sc = _scenes(8)
    torch.manual_seed(0)
    m = UDASegmenter(SegNet(dim=8))
    t0 = m.teacher.head[0].weight.clone()
    h = train_uda(m, sc['images'], sc['labels'], sc['images'], steps=3, batch_size=4, progress=False, live_plot=False)
    assert len(h) == 3 and not torch.equal(t0, m.teacher.head[0].weight)
    assert all(p.grad is None for p in m.teacher.parameters())
    assert not any(isinstance(x, Rebuilder) for x in m.student.modules())
    with pytest.raises(ValueError, match='matching'):
        uda_batches(sc['images'], sc['labels'][:3], sc['images'])


def test_scores():
    y = torch.tensor([[[0, 1], [2, 3]]]).repeat(5, 1, 1)
    assert torch.allclose(confusion_iou(y, y, 4), torch.ones(4, dtype=torch.float64))
    pred = y.clone(); pred[:, 1, 1] = 0                          # class 3 never found; background IoU 1/2
    s = segmentation_scores(pred, y)
    assert s['miou'] == pytest.approx((0.5 + 1 + 1 + 0) / 4) and s['n_images'] == 5
    assert paired_miou_gap(y, pred, y)['gap'] == pytest.approx(1 - s['miou'])
    assert predict_classes(SegNet(dim=8), _scenes(3)['images']).shape == (3, 32, 32)
