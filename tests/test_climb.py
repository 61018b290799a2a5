"Tests of mpkit.methods.text.climb beyond its notebook: word classes on a tiny corpus and plain CLIMB batches equal to BERT's."
import torch
from mpkit.text import CLS, SEP, mlm_batches
from mpkit.methods.text.climb import cooccurrence_vectors, word_classes, climb_batches

V = 40
SEQS = [[CLS] + [10 + (i * 7 + j) % 20 for j in range(3 + i % 6)] + [SEP] for i in range(60)]


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
