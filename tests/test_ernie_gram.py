"Tests of mpkit.methods.text.ernie_gram beyond its notebook: n-gram masking over seeds and schemes, and the two-head objective."
import pytest
import torch
from mpkit.text import CLS, SEP, MASK, PAD
from mpkit.methods.text.ernie_gram import phrase_occurrences, pick_ngrams, ngram_corrupt, masked_batches, NgramMLM
from mpkit.models import MaskedTokenModel

SEQS = [[CLS, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, SEP]] * 30 + [[CLS, 10, 11, 20, 21, SEP]] * 10


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_ngram_corrupt_exact_budget_and_whole_ngrams(seed):
    lex = [(10, 11), (13, 14, 15), (20, 21)]
    occ = phrase_occurrences(SEQS, lex)
    b = ngram_corrupt(SEQS, occ, ratio=0.4, generator=torch.Generator().manual_seed(seed))
    real = torch.tensor([len(s) - 2 for s in SEQS])
    assert ((b.labels != -100).sum(1) == torch.floor(0.4 * real.double() + 0.5).long()).all()
    for r, c in (b.ngram_labels != -100).nonzero().tolist():
        g = lex[b.ngram_labels[r, c]]
        assert b.labels[r, c:c + len(g)].tolist() == list(g) and (b.ids[r, c:c + len(g)] == MASK).all()


def test_pick_ngrams_never_overlaps():
    occ = [(0, 3, 0), (1, 2, 1), (2, 2, 2), (4, 2, 3)]
    for s in range(20):
        taken = pick_ngrams(occ, torch.rand(8, generator=torch.Generator().manual_seed(s)), 6)
        cover = [j for i, n, _ in taken for j in range(i, i + n)]
        assert len(cover) == len(set(cover)) <= 6


def test_masked_batches_seeded():
    occ = phrase_occurrences(SEQS, [(10, 11)])
    for scheme in ('token', 'span', 'ngram'):
        a, b = (masked_batches(SEQS, scheme=scheme, occurrences=occ, batch_size=8, generator=torch.Generator().manual_seed(4))(0) for _ in range(2))
        assert torch.equal(a['ids'], b['ids']) and torch.equal(a['labels'], b['labels'])


def test_ngram_mlm_generator_writes_same_length_lexicon_ngrams():
    lex = [(10, 11), (20, 21), (13, 14, 15)]
    torch.manual_seed(0)
    net = NgramMLM(MaskedTokenModel(vocab_size=30, dim=16, depth=1, heads=2, max_len=16, pad_id=PAD), lex,
                   generator_model=MaskedTokenModel(vocab_size=30, dim=16, depth=1, heads=2, max_len=16, pad_id=PAD), replace_prob=1.0)
    b = masked_batches(SEQS, scheme='ngram', occurrences=phrase_occurrences(SEQS, lex), batch_size=16, ratio=0.5,
                       generator=torch.Generator().manual_seed(1))(0)
    out = net(**b)
    out.loss.backward()
    assert net.gen_head.weight.grad is not None and net.ngram_head.weight.grad is not None
    inp = out.extras['inputs']
    for r, c in (b['ngram_labels'] != -100).nonzero().tolist():
        n = len(lex[b['ngram_labels'][r, c]])
        assert tuple(inp[r, c:c + n].tolist()) in [g for g in lex if len(g) == n]
