"""The four explorers driven in pure Python: set a control, check the figure data and the stats."""
import math
import numpy as np
import pytest
import torch
from mpkit.explorers import (Sample, MASKERS, mask_sample, MaskExplorer, attention_maps, AttentionExplorer,
                             cluster_units, cluster_scores, ClusterExplorer, ReconstructionExplorer)
from mpkit.models import MaskedAutoencoder, MaskedTokenModel

PNG = b'\x89PNG'

@pytest.fixture(scope='module')
def samples():
    rng = np.random.default_rng(0)
    return [Sample('image', rng.random((28, 28)), 'img'), Sample('text', ['the', 'state', 'of', 'the', 'uni', '##on'] * 4, 'txt'),
            Sample('spectrogram', rng.random((40, 120)), 'spec'), Sample('video', rng.random((6, 32, 32)), 'vid'),
            Sample('points', rng.normal(size=(512, 3)), 'pts')]

# ---- MaskExplorer
def test_mask_sample_every_masker(samples):
    for s in samples:
        for m in MASKERS[s.modality]:
            ms = mask_sample(s, m, ratio=0.5, size=4, seed=1)
            assert ms.mask.dtype == torch.bool and ms.elements.dtype == torch.bool
            assert 0 < ms.mask.float().mean() < 1, (s.modality, m)
            assert torch.equal(ms.mask, mask_sample(s, m, ratio=0.5, size=4, seed=1).mask)   # same seed, same mask

def test_mask_explorer_ratio_slider_changes_stats_and_image(samples):
    ex = MaskExplorer(samples, ratio=0.25, size=4)
    assert bytes(ex.image.value).startswith(PNG)
    png, hidden = ex.image.value, ex.stats['hidden']
    assert hidden == math.floor(0.25 * 49 + 0.5) and ex.stats['unit'] == 'patches'
    ex.ratio.value = 0.75
    assert ex.stats['hidden'] == math.floor(0.75 * 49 + 0.5) > hidden
    assert ex.image.value != png
    assert np.isnan(ex.figure.axes[0].images[0].get_array().filled(np.nan)).mean() == pytest.approx(ex.stats['element_ratio'])

def test_mask_explorer_size_seed_and_modalities(samples):
    ex = MaskExplorer(samples, ratio=0.5, size=4)
    ex.size.value = 7
    assert ex.stats['total'] == 16 and ex.masked.elements.shape == (28, 28)
    m0 = ex.masked.mask.clone(); ex.seed.value = 5
    assert not torch.equal(m0, ex.masked.mask)
    ex.sample.value = 1
    assert ex.masker.options == MASKERS['text'] and ex.stats['unit'] == 'tokens'
    assert sum(t.get_text() == '[MASK]' for t in ex.figure.axes[0].texts) == ex.stats['hidden']
    ex.sample.value = 4
    assert ex.stats['unit'] == 'point groups' and ex.figure.axes[0].name == '3d'
    ex.ratio.value = 0.8
    assert ex.stats['achieved'] == pytest.approx(0.8, abs=0.05)

def test_mask_bad_input():
    with pytest.raises(ValueError, match=r'\(H, W\)'): Sample('image', np.zeros(28))
    with pytest.raises(ValueError, match=r'\(T, H, W\)'): Sample('video', np.zeros((4, 4)))
    with pytest.raises(ValueError, match='expected one of'): mask_sample(Sample('image', np.zeros((8, 8))), 'tube')
    with pytest.raises(ValueError, match='Sample'): MaskExplorer([np.zeros((8, 8))])

# ---- AttentionExplorer
@pytest.fixture(scope='module')
def text_out():
    torch.manual_seed(0)
    m = MaskedTokenModel(vocab_size=50, dim=16, depth=2, heads=2, max_len=8).eval()
    with torch.no_grad(): return m(torch.randint(5, 50, (2, 8)), return_attention=True)

def test_attention_layer_and_head_change_heatmap(text_out):
    ex = AttentionExplorer(text_out, tokens=list('abcdefgh'))
    w = ex.figure.axes[0].images[0].get_array().copy()
    np.testing.assert_allclose(w, text_out.attentions[0][0, 0].numpy(), rtol=1e-6)
    ex.head.value = 1
    h1 = ex.figure.axes[0].images[0].get_array()
    assert not np.allclose(w, h1) and ex.figure.axes[0].get_title() == 'layer 0, head 1'
    ex.layer.value = 1
    np.testing.assert_allclose(ex.weights, text_out.attentions[1][0, 1].numpy(), rtol=1e-6)
    assert len(ex.figure.axes[1].lines) > 0 and {t.get_text() for t in ex.figure.axes[1].texts} == set('abcdefgh')

def test_attention_image_and_audio_views():
    torch.manual_seed(0)
    mae = MaskedAutoencoder(img_size=16, patch=4, in_chans=1, dim=16, depth=1, heads=2, dec_dim=16, dec_depth=1).eval()
    with torch.no_grad(): att = mae.encoder.layers(mae.embed(torch.rand(1, 1, 16, 16)) + mae.pos, return_attention=True).attentions
    ex = AttentionExplorer(att, image=np.random.rand(16, 16))
    r0 = ex.row.copy(); ex.query.value = 5
    assert ex.row.shape == (16,) and not np.allclose(r0, ex.row)
    assert ex.figure.axes[1].images[1].get_array().shape == (4, 4)          # the overlay is the patch grid
    spec = AttentionExplorer([torch.softmax(torch.randn(1, 2, 10, 10), -1)], spectrogram=np.random.rand(40, 30))
    spec.query.value = 3
    assert spec.row.shape == (10,) and spec.stats['query'] == 3

def test_attention_bad_input(text_out):
    with pytest.raises(ValueError, match=r'\(B, H, L, L\)'): AttentionExplorer([torch.rand(2, 8, 8)])
    with pytest.raises(ValueError, match=r'\(B, H, L, L\)'): attention_maps(torch.rand(1, 2, 4, 5))
    with pytest.raises(ValueError, match='expected 8 tokens'): AttentionExplorer(text_out, tokens=['a'])
    with pytest.raises(ValueError, match='gh \\* gw'): AttentionExplorer(text_out, image=np.zeros((9, 9)), grid=(3, 3))
    with pytest.raises(ValueError, match='at most one'): AttentionExplorer(text_out, tokens=list('abcdefgh'), image=np.zeros((8, 8)))

# ---- ClusterExplorer
def _blobs(n=300, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    return (rng.normal(size=(n, 3)) * 0.1 + np.eye(3)[y] * 3).astype(np.float32), y

def test_cluster_k_slider_changes_clusters_and_scores():
    x, y = _blobs()
    ex = ClusterExplorer(x, labels=y, points=x, k=3)
    assert ex.stats['used'] == 3 and ex.stats['purity'] == pytest.approx(1.0) and ex.stats['nmi'] == pytest.approx(1.0)
    ex.k.value = 6
    assert len(np.unique(ex.units)) == ex.stats['used'] == 6 and ex.stats['nmi'] < 1
    assert len(ex.figure.axes[-1].patches) == 6                           # one bar per cluster
    ex.method.value = 'sinkhorn'
    assert np.bincount(ex.units, minlength=6).min() > 0

def test_cluster_spectrogram_band_and_patches():
    spec = np.random.rand(40, 50)
    ex = ClusterExplorer(spec.T, spectrogram=spec, k=4)
    band = ex.figure.axes[1].images[0].get_array()
    np.testing.assert_array_equal(np.asarray(band)[0], ex.units)
    imgs = np.random.rand(2, 8, 8)
    ex = ClusterExplorer(np.random.rand(8, 5), images=imgs, patch=4, k=3)
    assert ex.stats['k'] == 3 and len(ex.units) == 8

def test_cluster_scores_and_bad_input():
    assert cluster_scores([0, 0, 1, 1], [3, 3, 9, 9]) == dict(purity=1.0, nmi=1.0)
    assert cluster_scores([0, 0, 1, 1], [0, 1, 0, 1])['purity'] == 0.5
    x, y = _blobs(60)
    with pytest.raises(ValueError, match='one label per'): ClusterExplorer(x, labels=y[:10])
    with pytest.raises(ValueError, match=r'\(N, D\)'): ClusterExplorer(np.zeros(10))
    with pytest.raises(ValueError, match='one row per point'): ClusterExplorer(x, points=x[:5])
    with pytest.raises(ValueError, match='one row per patch'): ClusterExplorer(x, images=np.zeros((1, 8, 8)), patch=4)
    with pytest.raises(ValueError, match='method'): cluster_units(x, 3, method='dbscan')

# ---- ReconstructionExplorer
@pytest.fixture(scope='module')
def mae():
    torch.manual_seed(0)
    return MaskedAutoencoder(img_size=16, patch=4, in_chans=1, dim=16, depth=1, heads=2, dec_dim=16, dec_depth=1)

def test_reconstruction_ratio_slider_changes_masked_panel(mae):
    ex = ReconstructionExplorer(mae, torch.rand(5, 1, 16, 16), ratio=0.25)
    assert list(ex.panels) == ['original', 'masked', 'reconstruction', 'reconstruction + visible']
    assert [a.get_title() for a in ex.figure.axes] == list(ex.panels)
    f25 = np.isnan(ex.panels['masked']).mean()
    assert f25 == pytest.approx(4 / 16) == ex.stats['masked_fraction']
    ex.ratio.value = 0.75
    assert np.isnan(ex.panels['masked']).mean() == pytest.approx(12 / 16) == ex.stats['masked_fraction']
    vis = ~np.isnan(ex.panels['masked'])
    np.testing.assert_allclose(ex.panels['reconstruction + visible'][vis], ex.panels['original'][vis], atol=1e-5)
    o = ex.panels['original'].copy(); ex.index.value = 3
    assert not np.allclose(o, ex.panels['original'])

# ---- time series, motion and scenes (issue 17 and 19 modalities)
@pytest.fixture(scope='module')
def timed():
    rng = np.random.default_rng(1)
    parents = np.array([-1, 0, 1, 1, 0])
    scene = dict(image=rng.random((32, 32, 3)), boxes=np.array([[0, 0, 10, 10], [12, 12, 30, 28]]), words='a red bag by a boot'.split())
    return [Sample('signal', rng.normal(size=(3, 256)), 'eeg'), Sample('motion', dict(positions=rng.normal(size=(20, 5, 3)), parents=parents), 'walk'),
            Sample('scene', scene, 'scene')]

def test_time_and_scene_maskers(timed):
    for s in timed:
        for m in MASKERS[s.modality]:
            ms = mask_sample(s, m, ratio=0.5, size=4, seed=2)
            assert ms.mask.any() and torch.equal(ms.elements, mask_sample(s, m, ratio=0.5, size=4, seed=2).elements)
    seg = mask_sample(timed[0], 'segments', ratio=0.5, size=32).elements
    assert seg.shape == (3, 256) and (seg == seg[:1]).all() and seg.float().mean() == 0.5
    fut = mask_sample(timed[1], 'future', ratio=0.25).elements
    assert fut[:, 0].tolist() == [t >= 15 for t in range(20)]
    L = 6
    for seed in range(20):   # conditional masking hides one modality at a time, never both
        m = mask_sample(timed[2], 'conditional', ratio=0.5, seed=seed).elements
        assert not (m[:L].any() and m[L:].any()) and m.any()
    joint = mask_sample(timed[2], 'joint', ratio=0.5, seed=0).elements
    assert joint[:L].sum() == 3 and joint[L:].sum() == 1

def test_time_and_scene_explorer(timed):
    ex = MaskExplorer(timed, ratio=0.5)
    assert ex.stats['unit'] == 'segments' and bytes(ex.image.value).startswith(PNG)
    ex.sample.value = 1
    assert ex.masker.options == MASKERS['motion'] and ex.size.max == 20
    ex.sample.value = 2
    assert ex.size.disabled and ex.stats['total'] == 8

def test_time_and_scene_bad_input(timed):
    with pytest.raises(ValueError, match='do not fit'): Sample('scene', dict(image=np.zeros((8, 8)), boxes=[[0, 0, 9, 4]], words=['a']))
    with pytest.raises(ValueError, match='words'): Sample('scene', dict(image=np.zeros((8, 8)), boxes=[[0, 0, 4, 4]], words='a bag'))
    with pytest.raises(ValueError, match='parents'): Sample('motion', dict(positions=np.zeros((4, 2, 3)), parents=[-1, 2]))
    with pytest.raises(ValueError, match=r'\(T,\) or \(C, T\)'): Sample('signal', np.zeros((2, 2, 2)))

def test_word_to_region_attention(timed):
    scene = timed[2].data
    att = [torch.softmax(torch.randn(1, 2, 6, 2, generator=torch.Generator().manual_seed(0)), -1)]
    ex = AttentionExplorer(att, tokens=scene['words'], image=scene['image'], boxes=scene['boxes'])
    ex.query.value = 2
    assert ex.row.shape == (2,) and ex.row.sum() == pytest.approx(1.0, abs=1e-5)
    assert "'bag'" in ex.figure.axes[1].get_title()
    with pytest.raises(ValueError, match='expected 2 boxes'): AttentionExplorer(att, tokens=scene['words'], image=scene['image'], boxes=scene['boxes'][:1])
    with pytest.raises(ValueError, match='without tokens'): AttentionExplorer(att, image=scene['image'], boxes=scene['boxes'])
    with pytest.raises(ValueError, match=r'\(B, H, L, L\)'): AttentionExplorer(att, tokens=scene['words'])

def test_frame_reconstruction():
    true = torch.rand(2, 6, 8, 8); hidden = torch.zeros(2, 6, dtype=torch.bool); hidden[:, 2:4] = True
    pred = true.clone(); pred[:, 2:4] = 0
    ex = ReconstructionExplorer.frames(true, pred, hidden, shown=4)
    assert ex.stats['mse_visible'] == 0 and ex.stats['mse_hidden'] == pytest.approx(float((true[0, 2:4] ** 2).mean()), rel=1e-5)
    assert ex.start.max == 2
    with pytest.raises(ValueError, match='hidden is'): ReconstructionExplorer.frames(true, pred, hidden[:, :3])
