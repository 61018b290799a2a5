"""mpkit.masking: exact budgets, determinism, special tokens, distributions and bad input."""
import math
import pytest
import torch
from hypothesis import given, settings, strategies as st

from mpkit.masking import (bert_corrupt, bernoulli_mask, copy_nearest_visible, block_mask, freq_mask, gather_visible, mask_schedule,
                           mask_stats, ngram_mask, random_mask, remask_count, restore_order, sample_span_lengths,
                           simmim_mask, span_length_probs, span_mask, time_freq_mask, time_mask, tube_mask,
                           whole_word_mask)

FAST = settings(max_examples=30, deadline=None)
ratios = st.floats(0.0, 1.0, allow_nan=False)


def gen(seed):
    return torch.Generator().manual_seed(seed)


def rounded(ratio, n):
    return math.floor(ratio * n + 0.5)


def padded_batch(B, L, seed, vocab=500):
    "ids with [CLS]=1 at 0, [SEP]=2 in the middle and at the end, [PAD]=0 after; real tokens in [5, vocab)."
    g = gen(seed)
    ids = torch.randint(5, vocab, (B, L), generator=g)
    lengths = torch.randint(3, L + 1, (B,), generator=g)
    ids[:, 0] = 1
    ids[torch.arange(L) >= lengths[:, None]] = 0
    ids[torch.arange(B), lengths - 1] = 2
    ids[torch.arange(B), lengths // 2] = 2
    return ids


# ---- exact counts -----------------------------------------------------------------------------------

@FAST
@given(B=st.integers(1, 8), L=st.integers(1, 300), ratio=ratios, seed=st.integers(0, 2**31))
def test_random_mask_exact_count_and_round_trip(B, L, ratio, seed):
    info = random_mask(B, L, ratio, generator=gen(seed))
    n = rounded(ratio, L)
    assert info.mask.dtype == torch.bool and info.mask.shape == (B, L)
    assert (info.mask.sum(1) == n).all()
    assert info.ids_keep.shape == (B, L - n)
    assert not info.mask.gather(1, info.ids_keep).any()
    x = torch.randn(B, L, 3, generator=gen(seed))
    full = restore_order(gather_visible(x, info.ids_keep), info.ids_restore, mask_token=torch.full((3,), 7.0))
    assert torch.equal(full[~info.mask], x[~info.mask])
    assert (full[info.mask] == 7.0).all()


@FAST
@given(B=st.integers(1, 6), L=st.integers(2, 200), ratio=ratios, seed=st.integers(0, 2**31),
       p=st.floats(0.05, 1.0), max_len=st.integers(1, 12))
def test_span_mask_exact_budget(B, L, ratio, seed, p, max_len):
    m = span_mask(B, L, ratio, p=p, max_len=max_len, generator=gen(seed))
    assert m.shape == (B, L) and m.dtype == torch.bool
    assert (m.sum(1) == rounded(ratio, L)).all()


@FAST
@given(B=st.integers(1, 6), L=st.integers(4, 100), ratio=ratios, seed=st.integers(0, 2**31))
def test_span_mask_with_specials_and_padding(B, L, ratio, seed):
    ids = padded_batch(B, L, seed)
    maskable = ids > 2
    m = span_mask(B, L, ratio, maskable=maskable, generator=gen(seed))
    assert not m[~maskable].any()
    assert torch.equal(m.sum(1), torch.floor(ratio * maskable.sum(1).double() + 0.5).long())


def test_span_mask_is_made_of_spans():
    m = span_mask(512, 128, 0.15, generator=gen(0))
    runs = (m[:, 1:] & ~m[:, :-1]).sum() + m[:, 0].sum()
    mean_run = m.sum().item() / runs.item()
    # merged and trimmed spans: runs are long, far from single tokens (mean 1.0)
    assert 2.5 < mean_run < 6.0, mean_run


def test_span_length_distribution_has_stated_mean():
    probs = span_length_probs(p=0.2, max_len=10)
    mu = float((probs * torch.arange(1, 11)).sum())
    assert abs(mu - 3.8) < 0.05  # SpanBERT: mean span length 3.8
    lengths = sample_span_lengths((200_000,), generator=gen(0)).double()
    assert lengths.min() >= 1 and lengths.max() <= 10
    se = lengths.std().item() / math.sqrt(lengths.numel())
    assert abs(lengths.mean().item() - mu) < 4 * se
    freq = torch.bincount(lengths.long(), minlength=11)[1:].double() / lengths.numel()
    assert (freq - probs).abs().max() < 4 * math.sqrt(0.25 / lengths.numel())


def test_simmim_mask_covers_ceil_cells():
    for ratio in (0.1, 0.5, 0.6, 0.75, 1.0):
        m = simmim_mask(16, ratio=ratio, generator=gen(1))
        assert m.shape == (16, 48, 48)
        coarse = m[:, ::8, ::8]
        assert (coarse.sum((1, 2)) == math.ceil(ratio * 36)).all()
        assert torch.equal(m, coarse.repeat_interleave(8, 1).repeat_interleave(8, 2))
    m = simmim_mask(4, input_size=224, mask_patch_size=32, model_patch_size=16, ratio=0.6, generator=gen(0))
    assert m.shape == (4, 14, 14) and (m[:, ::2, ::2].sum((1, 2)) == math.ceil(0.6 * 49)).all()


@FAST
@given(B=st.integers(1, 4), T=st.integers(1, 6), H=st.integers(1, 10), W=st.integers(1, 10), ratio=ratios,
       seed=st.integers(0, 2**31))
def test_tube_mask_same_through_time(B, T, H, W, ratio, seed):
    m = tube_mask(B, T, H, W, ratio, generator=gen(seed))
    assert m.shape == (B, T, H, W)
    assert (m == m[:, :1]).all()
    assert (m[:, 0].sum((1, 2)) == rounded(ratio, H * W)).all()
    assert torch.equal(tube_mask(B, T, H, W, ratio, flatten=True, generator=gen(seed)), m.reshape(B, -1))


# ---- whole words and n-grams ------------------------------------------------------------------------

def word_batch(B, L, seed):
    "Word ids: -1 for [CLS] / [SEP] / padding, words of 1-4 pieces; the second sentence restarts at 0."
    g = gen(seed)
    out = torch.full((B, L), -1)
    for b in range(B):
        n = int(torch.randint(2, L + 1, (1,), generator=g))
        pos, w = 1, 0
        while pos < n - 1:
            size = int(torch.randint(1, 5, (1,), generator=g))
            out[b, pos:min(pos + size, n - 1)] = w
            pos += size; w += 1
            if pos == n // 2: out[b, pos] = -1; pos += 1; w = 0
    return out


@FAST
@given(B=st.integers(1, 6), L=st.integers(3, 64), ratio=ratios, seed=st.integers(0, 2**31))
def test_whole_word_mask_budget_and_whole_words(B, L, ratio, seed):
    wid = word_batch(B, L, seed)
    m = whole_word_mask(wid, ratio, generator=gen(seed))
    assert not m[wid < 0].any()
    budget = torch.floor(ratio * (wid >= 0).sum(1).double() + 0.5).long()
    assert (m.sum(1) <= budget).all()
    for b in range(B):
        runs, cur = [], None
        for t in range(L):
            w = int(wid[b, t])
            if w < 0: cur = None; continue
            if cur is None or w != int(wid[b, t - 1]): runs.append([]); cur = w
            runs[-1].append(t)
        left = int(budget[b] - m[b].sum())
        for r in runs:
            vals = m[b, r]
            assert vals.all() or not vals.any()          # whole words only
            if not vals.any(): assert len(r) > left      # no unmasked word still fits the budget


def test_ngram_mask_whole_ngrams_and_ids():
    ids = padded_batch(64, 40, 3, vocab=12)
    lexicon = [(5, 6), (7, 8, 9), (10,), (11, 5, 6, 7)]
    out = ngram_mask(ids, lexicon, 0.3, special_ids=(0, 1, 2), generator=gen(0))
    assert torch.equal(out.mask, out.ngram_ids >= 0)
    assert not out.mask[ids <= 2].any()
    maskable = (ids > 2).sum(1)
    assert (out.mask.sum(1) <= torch.floor(0.3 * maskable.double() + 0.5)).all()
    assert out.mask.any()
    for b in range(ids.shape[0]):
        t = 0
        while t < ids.shape[1]:
            k = int(out.ngram_ids[b, t])
            if k < 0: t += 1; continue
            ng = lexicon[k]
            assert tuple(ids[b, t:t + len(ng)].tolist()) == ng
            assert (out.ngram_ids[b, t:t + len(ng)] == k).all()
            t += len(ng)


# ---- blocks, spectrograms, schedules ----------------------------------------------------------------

def test_block_mask_budget_and_blocks():
    m = block_mask(128, 14, 14, 0.4, generator=gen(0))
    counts = m.sum((1, 2))
    assert (counts <= rounded(0.4, 196)).all()
    assert counts.float().mean() > 0.35 * 196
    # blocks, not scattered patches: most hidden patches have a hidden 4-neighbour
    nb = torch.zeros_like(m)
    nb[:, 1:] |= m[:, :-1]; nb[:, :-1] |= m[:, 1:]; nb[:, :, 1:] |= m[:, :, :-1]; nb[:, :, :-1] |= m[:, :, 1:]
    assert (nb & m).sum() > 0.95 * m.sum()


def test_time_and_freq_masks():
    t = time_mask(500, 300, generator=gen(0))
    n_spans = rounded(0.15 * 300 / 7, 1)
    assert (t.sum(1) <= n_spans * 7).all() and (t.sum(1) >= 7).all()
    f = freq_mask(500, 80, generator=gen(0))
    assert (f.sum(1) <= 16).all()
    assert (f.long().diff(dim=1).abs().sum(1) <= 2).all()          # one band
    sa = time_mask(500, 300, width=100, ratio=None, num_masks=2, random_width=True, generator=gen(1))
    assert (sa.sum(1) <= 200).all()
    assert time_freq_mask(t, f).shape == (500, 300, 80)
    assert torch.equal(time_freq_mask(t, f)[:, :, 0], t | f[:, :1])


def test_schedules():
    assert mask_schedule(0.0) == 1.0 and abs(mask_schedule(1.0)) < 1e-12
    assert abs(mask_schedule(0.5) - math.cos(math.pi / 4)) < 1e-12
    assert mask_schedule(0.3, kind='linear', start=0.9, end=0.1) == pytest.approx(0.1 + 0.8 * 0.7)
    r = mask_schedule(torch.linspace(0, 1, 11), kind='cosine')
    assert (r.diff() <= 0).all()
    assert [remask_count(t, 10, 256) for t in range(10)][-1] == 0
    assert remask_count(0, 10, 256) == math.floor(256 * math.cos(math.pi / 2 * 0.1))


def test_mask_stats():
    m = random_mask(8, 100, 0.3, generator=gen(0)).mask
    s = mask_stats(m)
    assert s['mean'] == pytest.approx(0.3) and s['min'] == pytest.approx(0.3) and s['max'] == pytest.approx(0.3)
    maskable = torch.zeros(8, 100, dtype=torch.bool); maskable[:, :50] = True
    assert mask_stats(m, maskable)['per_row'].shape == (8,)


# ---- BERT corruption ----------------------------------------------------------------------------------

def test_bert_split_is_80_10_10_within_three_standard_errors():
    V, specials = 2000, (0, 1, 2, 3, 4)
    ids = torch.randint(5, V, (4096, 256), generator=gen(11))        # ~10^6 tokens
    out = bert_corrupt(ids, mask_id=4, vocab_size=V, special_ids=specials, generator=gen(12))
    n = int(out.mask.sum())
    se_sel = math.sqrt(0.15 * 0.85 / ids.numel())
    assert abs(n / ids.numel() - 0.15) < 3 * se_sel
    got, orig = out.inputs[out.mask], ids[out.mask]
    pool = V - len(specials)
    expected = {'mask': 0.8, 'random': 0.1 * (1 - 1 / pool), 'keep': 0.1 + 0.1 / pool}
    observed = {'mask': (got == 4).double().mean().item(),
                'random': ((got != 4) & (got != orig)).double().mean().item(),
                'keep': (got == orig).double().mean().item()}
    for k, e in expected.items():
        assert abs(observed[k] - e) < 3 * math.sqrt(e * (1 - e) / n), (k, observed[k], e)


@FAST
@given(B=st.integers(1, 8), L=st.integers(3, 40), seed=st.integers(0, 2**31), p=ratios, min_masked=st.integers(0, 3))
def test_bert_never_touches_specials_and_labels(B, L, seed, p, min_masked):
    ids = padded_batch(B, L, seed, vocab=50)
    out = bert_corrupt(ids, mask_id=3, vocab_size=50, special_ids=(0, 1, 2), mask_prob=p,
                       min_masked=min_masked, generator=gen(seed))
    special = ids <= 2
    assert not out.mask[special].any()
    assert torch.equal(out.inputs[special], ids[special])
    assert torch.equal(out.inputs[~out.mask], ids[~out.mask])
    assert (out.labels[~out.mask] == -100).all() and torch.equal(out.labels[out.mask], ids[out.mask])
    replaced = out.mask & (out.inputs != 3) & (out.inputs != ids)
    assert not torch.isin(out.inputs[replaced], torch.tensor([0, 1, 2, 3])).any()
    maskable = (~special).sum(1)
    assert (out.mask.sum(1) >= torch.minimum(maskable, torch.tensor(min_masked))).all()


def test_bert_short_rows_get_one_masked_token():
    ids = torch.tensor([[1, 7, 2, 0, 0, 0], [1, 8, 9, 2, 0, 0], [1, 2, 0, 0, 0, 0]])
    for seed in range(50):
        out = bert_corrupt(ids, mask_id=3, vocab_size=20, special_ids=(0, 1, 2), min_masked=1, generator=gen(seed))
        assert out.mask[:2].sum(1).min() >= 1 and not out.mask[2].any()


def test_bert_valid_mask_excludes_padding():
    ids = torch.randint(5, 100, (4, 20), generator=gen(0))
    pad = torch.arange(20) >= 10
    out = bert_corrupt(ids, mask_id=3, vocab_size=100, pad=pad.expand(4, 20), mask_prob=1.0, generator=gen(0))
    assert out.mask[:, :10].all() and not out.mask[:, 10:].any()


# ---- determinism --------------------------------------------------------------------------------------

MAKERS = {
    'random': lambda g: random_mask(16, 64, 0.5, generator=g).mask,
    'bernoulli': lambda g: bernoulli_mask((16, 64), 0.5, generator=g),
    'bert': lambda g: bert_corrupt(torch.arange(1024).view(16, 64) % 90 + 5, mask_id=3, vocab_size=100, generator=g).inputs,
    'span': lambda g: span_mask(16, 64, 0.3, generator=g),
    'wwm': lambda g: whole_word_mask(torch.arange(64).div(2, rounding_mode='floor').expand(16, 64).contiguous(), 0.3, generator=g),
    'ngram': lambda g: ngram_mask(torch.arange(64).remainder(4).expand(16, 64).contiguous(), [(0, 1), (2, 3)], 0.5, generator=g).mask,
    'block': lambda g: block_mask(16, generator=g),
    'simmim': lambda g: simmim_mask(16, generator=g),
    'tube': lambda g: tube_mask(16, 2, 8, 8, generator=g),
    'time': lambda g: time_mask(16, 200, generator=g),
    'freq': lambda g: freq_mask(16, 80, generator=g),
}


@pytest.mark.parametrize('name', sorted(MAKERS))
def test_same_seed_same_mask_other_seed_other_mask(name):
    make = MAKERS[name]
    a, b, c = make(gen(0)), make(gen(0)), make(gen(1))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


# ---- bad input ----------------------------------------------------------------------------------------

IDS = torch.randint(5, 100, (2, 8))
BAD = [
    (lambda: random_mask(2, 10, 1.5), 'expected a ratio in [0, 1]'),
    (lambda: random_mask(2, 10, -0.1), 'expected a ratio in [0, 1]'),
    (lambda: span_mask(2, 10, float('nan')), 'expected a ratio in [0, 1]'),
    (lambda: random_mask(0, 10), 'expected a positive integer'),
    (lambda: span_mask(2, 0), 'expected a positive integer'),
    (lambda: simmim_mask(0), 'expected a positive integer'),
    (lambda: bernoulli_mask((0, 4)), 'expected positive integer sizes'),
    (lambda: bert_corrupt(torch.zeros(0, 8, dtype=torch.long), mask_id=3, vocab_size=100), 'is empty'),
    (lambda: bert_corrupt(IDS.float(), mask_id=3, vocab_size=100), 'expected an integer tensor'),
    (lambda: bert_corrupt(IDS.bool(), mask_id=3, vocab_size=100), 'expected an integer tensor'),
    (lambda: bert_corrupt(IDS, mask_id=3, vocab_size=100, replace=(0.8, 0.1, 0.2)), 'sum to 1'),
    (lambda: bert_corrupt(IDS, mask_id=3, vocab_size=100, replace=(0.9, 0.2, -0.1)), 'non-negative'),
    (lambda: bert_corrupt(IDS, mask_id=3, vocab_size=100, mask_prob=2.0), 'expected a ratio in [0, 1]'),
    (lambda: bert_corrupt(IDS, mask_id=300, vocab_size=100), 'expected an id in [0, vocab_size=100)'),
    (lambda: bert_corrupt(IDS + 100, mask_id=3, vocab_size=100), 'expected ids in [0, vocab_size=100)'),
    (lambda: bert_corrupt(IDS, mask_id=3, vocab_size=100, pad=torch.zeros(2, 8, dtype=torch.long)), 'expected a bool tensor'),
    (lambda: bert_corrupt(IDS, mask_id=3, vocab_size=100, pad=torch.zeros(2, 9, dtype=torch.bool)), 'expected the shape of ids'),
    (lambda: whole_word_mask(IDS.float(), 0.15), 'expected an integer tensor'),
    (lambda: ngram_mask(IDS, [], 0.15), 'expected a list of non-empty tuples'),
    (lambda: span_mask(2, 8, maskable=torch.ones(2, 8, dtype=torch.int)), 'expected a bool tensor'),
    (lambda: span_mask(2, 8, maskable=torch.ones(2, 9, dtype=torch.bool)), 'expected (2, 8)'),
    (lambda: simmim_mask(2, input_size=192, mask_patch_size=30, model_patch_size=4), 'not divisible'),
    (lambda: simmim_mask(2, input_size=180, mask_patch_size=30, model_patch_size=4), 'not a multiple of model_patch_size'),
    (lambda: time_freq_mask(torch.ones(2, 5), torch.ones(2, 3, dtype=torch.bool)), 'expected a bool tensor'),
    (lambda: mask_stats(torch.ones(2, 5, dtype=torch.int)), 'expected a bool tensor'),
    (lambda: mask_schedule(0.5, kind='exp'), "expected one of 'cosine', 'linear', 'constant'"),
    (lambda: mask_schedule(1.2), 'expected values in [0, 1]'),
    (lambda: remask_count(5, 5, 10), 'expected 0 <= t < T'),
    (lambda: restore_order(torch.zeros(2, 3, 4), torch.zeros(2, 5, dtype=torch.long)), 'mask_token'),
]


@pytest.mark.parametrize('call,message', BAD, ids=[m for _, m in BAD])
def test_bad_input_says_what_was_expected(call, message):
    with pytest.raises(ValueError, match=None) as e:
        call()
    assert message in str(e.value)


def _copy_loop(tokens, mask, grid):
    out = tokens.clone()
    for b in range(len(tokens)):
        vis = [j for j in range(tokens.shape[1]) if not mask[b, j]]
        for i in range(tokens.shape[1]):
            ti, fi = divmod(i, grid[1])
            out[b, i] = tokens[b, min(vis, key=lambda j: ((j // grid[1] - ti) ** 2 + (j % grid[1] - fi) ** 2, j))]
    return out


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5), st.integers(1, 6), st.integers(1, 6), st.integers(0, 10_000))
def test_copy_nearest_visible_on_a_grid_matches_a_loop(h, w, B, seed):
    g = gen(seed)
    tokens = torch.randint(0, 7, (B, h * w), generator=g)
    mask = torch.rand(B, h * w, generator=g) < 0.7
    mask[:, int(torch.randint(h * w, (1,), generator=g))] = False
    assert torch.equal(copy_nearest_visible(tokens, mask, grid=(h, w)), _copy_loop(tokens, mask, (h, w)))




@settings(max_examples=30, deadline=None)
@given(st.integers(1, 30), st.integers(1, 4), st.integers(0, 10_000), st.booleans())
def test_copy_nearest_visible_along_a_sequence_matches_a_loop(L, B, seed, padded):
    g = gen(seed)
    values = torch.randn(B, L, 2, generator=g)
    mask = torch.rand(B, L, generator=g) < 0.6
    pad = torch.arange(L) >= torch.randint(1, L + 1, (B, 1), generator=g) if padded else torch.zeros(B, L, dtype=torch.bool)
    mask[:, 0] = False                                     # position 0 is always real and visible
    out = copy_nearest_visible(values, mask, pad=pad if padded else None)
    for b in range(B):
        vis = [j for j in range(L) if not mask[b, j] and not pad[b, j]]
        for i in range(L):
            assert torch.equal(out[b, i], values[b, min(vis, key=lambda j: (abs(j - i), j))])
