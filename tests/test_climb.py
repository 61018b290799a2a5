"Tests of mpkit.methods.climb: pacing, the vocabulary and data curricula, word classes, batches and the paired comparison."
import math
import pytest
import torch
from mpkit.methods.bert import CLS, SEP, PAD, MASK, UNK, mlm_batches, token_counts, ChosenPositionsLM
from mpkit.methods.climb import (pacing, frequent_vocab, restrict_vocab, unigram_surprisal, cooccurrence_vectors,
                                 word_classes, ClimbLM, climb_batches, paired_difference)
from mpkit.models import MaskedTokenModel

V = 40
SEQS = [[CLS] + [10 + (i * 7 + j) % 20 for j in range(3 + i % 6)] + [SEP] for i in range(60)]


def test_pacing_shape():
    assert pacing(0.0) == 0.1 and pacing(1.0) == 1.0
    xs = [pacing(i / 100) for i in range(101)]
    assert all(a <= b for a, b in zip(xs, xs[1:]))
    with pytest.raises(ValueError, match=r'\[0, 1\]'): pacing(-0.1)


def test_frequent_vocab_and_restrict():
    counts = token_counts(SEQS, V)
    keep = frequent_vocab(counts, 0.25)
    assert int(keep.sum()) == round(0.25 * int((counts > 0).sum())) + 5
    ids = torch.tensor([[CLS, 10, 11, 12, 13, SEP, PAD]])
    out = restrict_vocab(ids, keep)
    assert ((out == ids) | (out == UNK)).all() and (out[ids < 5] == ids[ids < 5]).all()
    with pytest.raises(ValueError, match='share'): frequent_vocab(counts, 1.5)


def test_unigram_surprisal_orders_rare_after_frequent():
    counts = torch.zeros(V, dtype=torch.float64); counts[10], counts[11] = 100, 1
    s = unigram_surprisal([[CLS, 10, 10, SEP], [CLS, 11, SEP]], counts)
    assert s[0] < s[1]
    assert s[0].item() == pytest.approx(-math.log2(101 / (101 + V)), rel=1e-5)


def test_word_classes_cover_vocab():
    X = cooccurrence_vectors(SEQS, V, context=10)
    assert X.shape == (V, 20)
    wc = word_classes(SEQS, V, n_classes=3, context=10, min_count=1, generator=torch.Generator().manual_seed(0))
    assert wc.shape == (V,) and 0 <= int(wc.min()) and int(wc.max()) < 3


def test_plain_climb_batches_equal_bert_batches():
    a = climb_batches(SEQS, vocab_size=V, steps=10, batch_size=8, generator=torch.Generator().manual_seed(1))(0)
    b = mlm_batches(SEQS, vocab_size=V, batch_size=8, generator=torch.Generator().manual_seed(1))(0)
    assert torch.equal(a['ids'], b['ids']) and torch.equal(a['labels'], b['labels'])
    assert (a['w_token'], a['w_class']) == (1.0, 0.0)


def test_objective_schedule_and_loss():
    wc = torch.arange(V) % 4
    src = climb_batches(SEQS, vocab_size=V, steps=100, batch_size=8, mask_prob=0.5, word_class=wc,
                        generator=torch.Generator().manual_seed(0))
    early, late = src(0), src(50)
    assert (early['w_token'], early['w_class'], late['w_token']) == (0.0, 1.0, 1.0)
    torch.manual_seed(0)
    m = MaskedTokenModel(V, 16, 1, 2, 12, pad_id=PAD)
    lm = ClimbLM(m, 4)
    assert lm(late['ids'], late['labels']).loss.item() == pytest.approx(ChosenPositionsLM(m)(late['ids'], late['labels']).loss.item(), abs=1e-5)


def test_paired_difference_and_hits():
    a, b = torch.tensor([True, False, True, True]), torch.tensor([False, False, True, False])
    d, se = paired_difference(a, b)
    assert d == pytest.approx(0.5) and se == pytest.approx(torch.tensor([1., 0, 0, 1]).std().item() / 2)
    with pytest.raises(ValueError, match='same tokens'): paired_difference(a, b[:2])
