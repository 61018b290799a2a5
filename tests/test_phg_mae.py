"""Behaviour of the PHG-MAE method module (mpkit.methods.vision.phg_mae) on tiny scenes and untrained networks."""
import numpy as np
import pytest
import torch
from mpkit.methods.vision.phg_mae import sobel_edges, make_modalities, modality_mask, stack_modalities, PHGMAE, phg_batches, train_phg, single_proba, ensemble_proba, Distiller, distil, count_parameters
from mpkit.methods.vision.mfm import SegNet
from mpkit.probes import confusion_iou


def _scene(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(4, (n, 32, 32), generator=g)
    return (labels > 0).float()[:, None] * 0.8, labels


def test_sobel_matches_skimage():
    sobel = pytest.importorskip('skimage.filters').sobel
    x = torch.rand(2, 1, 9, 11, generator=torch.Generator().manual_seed(0))
    ref = torch.tensor(np.stack([sobel(im) for im in x[:, 0].double().numpy()])).float()
    assert torch.allclose(sobel_edges(x)[:, 0], ref, atol=1e-5)
    with pytest.raises(ValueError, match=r'\(N, 1, H, W\)'):
        sobel_edges(x[:, 0])


def test_modalities_are_seeded():
    imgs, labels = _scene()
    a, b = make_modalities(imgs, labels, seed=2), make_modalities(imgs, labels, seed=2)
    assert a['inputs'].shape == (4, 3, 32, 32) and torch.equal(a['inputs'], b['inputs'])
    with pytest.raises(ValueError, match='one per input'):
        make_modalities(imgs, labels, noise=(0.1,))


def test_modality_mask_rules():
    forced = torch.tensor([False, False, False, True])
    m = modality_mask(2000, always_hidden=forced, p=0.9, generator=torch.Generator().manual_seed(0))
    assert m[:, 3].all() and not m[:, :3].all(1).any()
    assert modality_mask(5, p=0.0).sum() == 0
    per_row = torch.tensor([[False, False, False, True], [False, False, False, False]])
    m2 = modality_mask(2, always_hidden=per_row, p=0.0)
    assert m2.tolist() == per_row.tolist()


def test_stack_hides_and_flags():
    imgs, labels = _scene(2)
    x = make_modalities(imgs, labels)['inputs']
    mask = torch.tensor([[True, False, False, False], [False, False, True, True]])
    v = stack_modalities(x, labels, mask)
    assert v.shape == (2, 11, 32, 32) and (v[0, 0] == 0).all() and (v[1, 2] == 0).all() and (v[1, 3:7] == 0).all()
    assert torch.equal(v[:, 7:, 5, 5], mask.float())
    assert torch.equal(v[0, 3:7].argmax(0), labels[0])


def test_model_ignores_missing_labels_and_trains():
    imgs, labels = _scene(8)
    m = make_modalities(imgs, labels)
    sem = labels.clone(); sem[4:] = -100
    torch.manual_seed(0)
    model = PHGMAE(dim=8)
    out = model(m['inputs'], sem, generator=torch.Generator().manual_seed(0))
    assert out.mask[4:, 3].all() and torch.isfinite(out.loss)
    h = train_phg(model, m['inputs'], sem, steps=3, batch_size=4, progress=False, live_plot=False)
    assert len(h) == 3
    p = ensemble_proba(model, m['inputs'], n_members=3)
    assert torch.allclose(p.sum(1), torch.ones(8, 32, 32), atol=1e-5)
    assert torch.allclose(single_proba(model, m['inputs']), single_proba(model, m['inputs']))
    with pytest.raises(ValueError, match='same'):
        phg_batches(m['inputs'], sem[:2])


def test_distillation_fits_soft_targets():
    imgs, labels = _scene(8)
    x = make_modalities(imgs, labels)['inputs']
    torch.manual_seed(0)
    st = SegNet(4, dim=8, in_chans=3)
    target = torch.full((8, 4, 32, 32), 0.25)
    before = Distiller(st)(x, target).loss.item()
    distil(st, x, target, steps=20, batch_size=8, progress=False, live_plot=False)
    assert Distiller(st)(x, target).loss.item() < before
    assert count_parameters(st) < 1_000_000
    distil(st, x, labels, steps=1, batch_size=4, progress=False, live_plot=False)   # hard labels are made one-hot
