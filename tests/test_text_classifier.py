"""Fine-tuning a text encoder on labelled sentences (mpkit.text: SentenceClassifier, labelled_batches, fine_tune,
sentence_predictions) on a tiny model and a synthetic task."""
import numpy as np
import pytest
import torch
import torch.nn as nn
from mpkit.models import MaskedTokenModel
from mpkit.text import CLS, SEP, PAD, SentenceClassifier, fine_tune, labelled_batches, pad_batch, sentence_predictions


def _task(n=200, seed=0):
    "Sentences of random ids 8-39; every second one holds id 7, which is its label."
    g = torch.Generator().manual_seed(seed)
    seqs = [[CLS] + torch.randint(8, 40, (int(k),), generator=g).tolist() + [SEP]
            for k in torch.randint(3, 10, (n,), generator=g)]
    seqs = [s if i % 2 else s[:2] + [7] + s[2:] for i, s in enumerate(seqs)]
    return seqs, np.array([int(7 in s) for s in seqs])


def _encoder(seed=0):
    torch.manual_seed(seed)
    return MaskedTokenModel(vocab_size=40, dim=32, depth=1, heads=2, max_len=16, pad_id=PAD)


def test_fine_tune_learns_and_leaves_the_encoder_alone():
    seqs, y = _task()
    enc = _encoder()
    before = [p.clone() for p in enc.parameters()]
    clf = fine_tune(enc, seqs[:150], y[:150], steps=120, lr=3e-3, seed=0, generator=torch.Generator().manual_seed(0),
                    progress=False, live_plot=False)
    assert (sentence_predictions(clf, seqs[150:]) == y[150:]).mean() > 0.9
    assert all(torch.equal(p, q) for p, q in zip(before, enc.parameters()))
    again = fine_tune(enc, seqs[:150], y[:150], steps=120, lr=3e-3, seed=0, generator=torch.Generator().manual_seed(0),
                      progress=False, live_plot=False)
    assert torch.equal(again.head.weight, clf.head.weight)          # same seed, same classifier


def test_frozen_encoder_trains_the_head_only():
    seqs, y = _task()
    enc = _encoder()
    clf = fine_tune(enc, seqs, y, steps=10, train_encoder=False, seed=0, progress=False, live_plot=False)
    assert all(torch.equal(p, q) for p, q in zip(clf.encoder.parameters(), enc.parameters()))
    torch.manual_seed(0)
    assert not torch.equal(clf.head.weight, SentenceClassifier(enc).head.weight)


def test_predictions_ignore_padding_and_batching():
    seqs, y = _task(20)
    clf = SentenceClassifier(_encoder())
    whole = sentence_predictions(clf, seqs)
    assert whole.shape == (20,) and whole.dtype == np.int64
    assert (sentence_predictions(clf, seqs, batch_size=3) == whole).all()
    with torch.no_grad():
        alone = torch.cat([clf(torch.tensor([s])).pred for s in seqs[:4]])
        assert torch.allclose(clf(pad_batch(seqs[:4]).ids).pred, alone, atol=1e-5)


def test_balanced_batches():
    seqs, _ = _task(400)
    skewed = np.array([1] * 360 + [0] * 40)
    b = labelled_batches(seqs, skewed, batch_size=4000, generator=torch.Generator().manual_seed(0))(0)
    assert abs(b['labels'].float().mean().item() - 0.5) < 0.03
    plain = labelled_batches(seqs, skewed, batch_size=4000, balanced=False, generator=torch.Generator().manual_seed(0))(0)
    assert abs(plain['labels'].float().mean().item() - 0.9) < 0.03


def test_bad_input_is_named():
    seqs, y = _task(20)
    enc = _encoder()
    with pytest.raises(ValueError, match='>= 2'):
        SentenceClassifier(enc, 1)
    with pytest.raises(ValueError, match='one per sentence'):
        SentenceClassifier(enc)(pad_batch(seqs[:4]).ids, torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match='same'):
        labelled_batches(seqs, y[:5])
    with pytest.raises(ValueError, match='empty'):
        labelled_batches([], [])
    with pytest.raises(ValueError, match='batch_size'):
        labelled_batches(seqs, y, batch_size=0)
    with pytest.raises(ValueError, match='MaskedTokenModel'):
        fine_tune(nn.Linear(2, 2), seqs, y, steps=1)
    with pytest.raises(ValueError, match='empty'):
        sentence_predictions(SentenceClassifier(enc), [])
