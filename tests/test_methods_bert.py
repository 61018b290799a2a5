"Tests of mpkit.methods.text.bert: batching, corrupted batches, the held-out test and the count baselines."
import math
import pytest
import torch
from mpkit.text import PAD, CLS, SEP, MASK, SPECIAL_IDS, sentence_ids, pad_batch, mlm_batches, held_out_batches, masked_token_accuracy, MaskedAccuracy, token_counts, UnigramBaseline, BigramBaseline
from mpkit.data import load_tokenizer, SPECIAL_TOKENS

SEQS = [[CLS] + list(range(10, 10 + n)) + [SEP] for n in (3, 7, 1, 5, 9, 2)]


def test_special_ids_match_tokenizer():
    tok = load_tokenizer()
    assert [tok.token_to_id(t) for t in SPECIAL_TOKENS] == [PAD, SPECIAL_IDS[1], CLS, SEP, MASK]
    ids = sentence_ids(['The state of the Union is strong.', 'Thank you.'], tok, max_len=5)
    assert all(s[0] == CLS and s[-1] == SEP and len(s) <= 5 for s in ids)


def test_mlm_batches_seeded_and_never_special():
    a = mlm_batches(SEQS * 20, vocab_size=40, batch_size=16, generator=torch.Generator().manual_seed(3))
    b = mlm_batches(SEQS * 20, vocab_size=40, batch_size=16, generator=torch.Generator().manual_seed(3))
    for step in range(5):
        x, y = a(step), b(step)
        assert torch.equal(x['ids'], y['ids']) and torch.equal(x['labels'], y['labels'])
        chosen = x['labels'] != -100
        assert not torch.isin(x['labels'][chosen], torch.tensor(SPECIAL_IDS)).any()
        assert not torch.isin(x['ids'][~chosen], torch.tensor([MASK])).any()   # [MASK] only where chosen


@pytest.mark.parametrize('grouped', [True, False])
def test_mlm_batches_draw_every_sentence_equally(grouped):
    tiny = [[CLS, 100 + k] + [10] * (k % 5) + [SEP] for k in range(20)]
    stream = mlm_batches(tiny, vocab_size=200, batch_size=4, mask_prob=0.0, group_by_length=grouped,
                         generator=torch.Generator().manual_seed(1))
    hits = torch.bincount(torch.cat([stream(s)['ids'][:, 1] - 100 for s in range(500)]), minlength=20)
    assert hits.sum() == 2000 and hits.min() > 60 and hits.max() < 140


@pytest.mark.parametrize('mask_prob,K', [(0.15, 7), (0.5, 2), (1.0, 1)])
def test_held_out_hides_each_token_once(mask_prob, K):
    out = held_out_batches(SEQS, mask_prob=mask_prob, batch_size=4, generator=torch.Generator().manual_seed(0))
    assert len(out) == 2 * K
    total = sum(int(c.mask.sum()) for c in out)
    assert total == sum(len(s) - 2 for s in SEQS)
    for c in out:
        assert (c.inputs[c.mask] == MASK).all() and (c.labels[~c.mask] == -100).all()


def test_accuracy_and_baselines():
    batches = held_out_batches(SEQS, mask_prob=1.0)
    oracle = masked_token_accuracy(lambda x: pad_batch(SEQS).ids, batches)
    assert oracle == MaskedAccuracy(1.0, 27, 0.0)
    uni = UnigramBaseline(SEQS, 40)
    assert uni.token == 10 and token_counts(SEQS, 40)[10] == 6
    acc = masked_token_accuracy(uni, batches)
    assert acc.accuracy == pytest.approx(6 / 27) and acc.stderr == pytest.approx(math.sqrt(6 / 27 * 21 / 27 / 27))
    # with one hidden token between known neighbours, bigram counts recover a deterministic chain
    one = held_out_batches([[CLS, 10, 11, 12, 13, SEP]], mask_prob=1 / 4, generator=torch.Generator().manual_seed(0))
    assert masked_token_accuracy(BigramBaseline(SEQS, 40, smoothing=0.01), one).accuracy == 1.0


def test_bad_inputs():
    with pytest.raises(ValueError, match='empty'): pad_batch([])
    with pytest.raises(ValueError, match='empty'): mlm_batches([], vocab_size=40)
    with pytest.raises(ValueError, match='mask_prob'): held_out_batches(SEQS, mask_prob=1.5)
    with pytest.raises(ValueError, match='smoothing'): BigramBaseline(SEQS, 40, smoothing=-1)
    with pytest.raises(ValueError, match='no hidden'):
        masked_token_accuracy(UnigramBaseline(SEQS, 40), held_out_batches([[CLS, SEP]]))
