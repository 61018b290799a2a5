"Tests of mpkit.methods.ernie_gram: lexicon, n-gram masking, the two-head objective and phrase scoring."
import math
import pytest
import torch
from mpkit.methods.bert import CLS, SEP, MASK, PAD, SPECIAL_IDS
from mpkit.methods.ernie_gram import (association_score, ngram_lexicon, phrase_occurrences, pick_ngrams, top_up,
                                      ngram_corrupt, masked_batches, NgramMLM, phrase_test, phrase_recovery)
from mpkit.models import MaskedTokenModel

SEQS = [[CLS, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, SEP]] * 30 + [[CLS, 10, 11, 20, 21, SEP]] * 10


def test_t_statistic_prefers_frequent_and_pmi_rare():
    assert association_score(50, [50, 50], 1000) > association_score(5, [5, 5], 1000)
    assert association_score(5, [5, 5], 1000, score='pmi') > association_score(50, [50, 50], 1000, score='pmi')


def test_lexicon_excludes_and_ranks():
    lex = ngram_lexicon(SEQS, min_count=5, exclude=SPECIAL_IDS + (12,))
    assert all(12 not in g and CLS not in g and SEP not in g for g in lex.ngrams)
    assert (lex.scores[:-1] >= lex.scores[1:]).all()
    assert (10, 11) in lex.ngrams and lex.counts[lex.ngrams.index((10, 11))] == 40


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


def test_top_up_rejects_non_bool():
    with pytest.raises(ValueError, match='bool'):
        top_up(torch.zeros(2, 3), torch.ones(2, 3, dtype=torch.bool), torch.tensor([1, 1]))


def test_ngram_mlm_generator_writes_same_length_lexicon_ngrams():
    lex = [(10, 11), (20, 21), (13, 14, 15)]
    torch.manual_seed(0)
    net = NgramMLM(MaskedTokenModel(30, 16, 1, 2, max_len=16, pad_id=PAD), lex,
                   generator_model=MaskedTokenModel(30, 16, 1, 2, max_len=16, pad_id=PAD), replace_prob=1.0)
    b = masked_batches(SEQS, scheme='ngram', occurrences=phrase_occurrences(SEQS, lex), batch_size=16, ratio=0.5,
                       generator=torch.Generator().manual_seed(1))(0)
    out = net(**b)
    out.loss.backward()
    assert net.gen_head.weight.grad is not None and net.ngram_head.weight.grad is not None
    inp = out.extras['inputs']
    for r, c in (b['ngram_labels'] != -100).nonzero().tolist():
        n = len(lex[b['ngram_labels'][r, c]])
        assert tuple(inp[r, c:c + n].tolist()) in [g for g in lex if len(g) == n]


def test_phrase_recovery_perfect_and_exact():
    lex = [(10, 11), (13, 14, 15)]
    batches = phrase_test(SEQS, lex, copies=2, ratio=0.5, generator=torch.Generator().manual_seed(0))
    lengths = torch.tensor([2, 3])
    oracle = {id(b.ids): torch.where(b.labels != -100, b.labels, b.ids) for b in batches}
    score = phrase_recovery(lambda ids: oracle[id(ids)], batches, lengths)
    assert score.exact == 1.0 and score.token_accuracy == 1.0 and score.n > 0
    with pytest.raises(ValueError, match='no hidden phrase'):
        phrase_recovery(lambda ids: ids, [], lengths)
