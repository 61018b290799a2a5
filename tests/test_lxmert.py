"""Behaviour of the LXMERT method module (mpkit.methods.multimodal.lxmert): scene tensors, the pre-training
batch (masks independent of the match, QA only on a scene's own question), the four losses, and a tiny model
that learns to answer questions above the majority answer."""
import math
import numpy as np
import pytest
import torch
from mpkit.data import scenes
from mpkit.multimodal import WordVocab
from mpkit.methods.multimodal.lxmert import LXMERT, QA_ANSWERS, itm_hits, lxmert_batch, qa_hits, scene_tensors

V = WordVocab()


@pytest.fixture(scope='module')
def data():
    return scene_tensors(scenes(300, seed=11), V)


def test_scene_tensors(data):
    assert data['regions'].shape == (300, 4, 197) and data['question'].shape == (300, 22)
    assert data['answers'].max() < len(QA_ANSWERS) and torch.equal(data['region_pad'], data['region_labels'] == -100)
    with pytest.raises(ValueError, match='sc'):
        scene_tensors([], V)


def test_batch_masks_do_not_reveal_the_match(data):
    g = torch.Generator().manual_seed(0)
    b = lxmert_batch(data, torch.randint(300, (3000,), generator=g), generator=g)
    assert abs(b['match'].float().mean() - 0.5) < 0.01
    rate = lambda m: b['word_mask'][m].sum() / (b['ids'][m] > V.UNK).sum()
    assert abs(rate(b['match']) - rate(~b['match'])) < 0.01
    assert not (b['is_question'] & ~b['match']).any()
    with pytest.raises(ValueError, match='idx'):
        lxmert_batch(data, torch.arange(1))


def test_losses_and_gating(data):
    torch.manual_seed(0)
    m = LXMERT(len(V), 197, dim=32, heads=2)
    b = lxmert_batch(data, torch.arange(16), generator=torch.Generator().manual_seed(1))
    out = m(**b)
    parts = {k: v for k, v in out.extras.items() if k != 'encoder'}
    assert set(parts) == {'itm', 'mlm', 'feat', 'label', 'qa'}
    assert math.isclose(out.loss.item(), sum(parts.values()), rel_tol=1e-4)
    b['match'] = torch.zeros(16, dtype=torch.bool)
    assert set(m(**b).extras) - {'encoder'} == {'itm'}
    with pytest.raises(ValueError, match='n_answers'):
        LXMERT(len(V), 197, n_answers=0)


def test_tiny_model_learns_qa_above_majority(data):
    torch.manual_seed(0)
    m = LXMERT(len(V), 197, dim=32, heads=2)
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(60):
        i = torch.randint(300, (64,), generator=g)
        out = m(data['question'][i], data['question_pad'][i], data['regions'][i], data['region_pad'][i],
                answers=data['answers'][i])
        opt.zero_grad(); out.loss.backward(); opt.step()
    test = scene_tensors(scenes(300, seed=12, split='test'), V)
    hits = qa_hits(m, test)
    majority = (test['answers'] == torch.bincount(data['answers']).argmax()).float().mean().item()
    assert hits.shape == (300,) and hits.mean() > majority + 0.1, (hits.mean(), majority)
    assert set(np.unique(itm_hits(m, test))) <= {0.0, 1.0}
