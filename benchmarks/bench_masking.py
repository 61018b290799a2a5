"""Speed of mpkit.masking against the references it replaces, measured in the same run.

    python benchmarks/bench_masking.py          # the sizes of the goals (256 rows)
    python benchmarks/bench_masking.py --tiny   # a few seconds: checks that everything runs (goals not judged)

Goals (ratio = ours / reference time, so < 1 is faster):
  bert_corrupt        vs HuggingFace DataCollatorForLanguageModeling.torch_mask_tokens, 256x128: ratio <= 1/5
  random_mask+gather  vs MAE's noise -> argsort -> gather, 256x196x768:                  ratio <= 1.1
  simmim_mask         vs SimMIM's MaskGenerator (numpy loop per sample), 256 masks:      ratio <= 1/2
  span_mask (exact)   vs a per-row Python loop with the same exact budget, 256x128:      ratio <= 1/10
Both sides of a comparison run with the same torch threads (1 by default) in alternating rounds.
"""
from __future__ import annotations
import argparse, math, random
import numpy as np
import torch
from torch.utils import benchmark

from mpkit.masking import bert_corrupt, gather_visible, random_mask, simmim_mask, span_length_probs, span_mask


def _timer(fn):
    fn(); fn()  # warm-up: allocator, lazy inits, caches
    return benchmark.Timer(stmt='fn()', globals={'fn': fn}, num_threads=torch.get_num_threads())


def _pair_ms(ours, ref, min_run_time, rounds=5):
    "Median ms of `ours` and `ref`, timed in alternating rounds so that load changes hit both alike."
    t_ours, t_ref = _timer(ours), _timer(ref)
    a, b = [], []
    for _ in range(rounds):
        a.append(t_ours.blocked_autorange(min_run_time=min_run_time / rounds).median)
        b.append(t_ref.blocked_autorange(min_run_time=min_run_time / rounds).median)
    return float(np.median(a)) * 1e3, float(np.median(b)) * 1e3


# ---- references ---------------------------------------------------------------------------------

def _hf_collator():
    "DataCollatorForLanguageModeling with a WordPiece tokenizer built in memory (no download)."
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import DataCollatorForLanguageModeling, PreTrainedTokenizerFast
    specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    vocab = {t: i for i, t in enumerate(specials + [f'w{i}' for i in range(1000 - len(specials))])}
    tok = Tokenizer(models.WordPiece(vocab, unk_token='[UNK]')); tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token='[PAD]', unk_token='[UNK]', cls_token='[CLS]',
                                   sep_token='[SEP]', mask_token='[MASK]')
    return fast, DataCollatorForLanguageModeling(fast, mlm_probability=0.15)


def mae_reference(x, ratio):
    "MAE's random_masking (facebookresearch/mae, models_mae.py): noise -> argsort -> ids_keep -> gather."
    N, L, D = x.shape
    len_keep = int(L * (1 - ratio))
    noise = torch.rand(N, L)
    ids_shuffle = torch.argsort(noise, dim=1)
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    ids_keep = ids_shuffle[:, :len_keep]
    x_masked = torch.gather(x, dim=1, index=ids_keep.unsqueeze(-1).repeat(1, 1, D))
    mask = torch.ones([N, L])
    mask[:, :len_keep] = 0
    mask = torch.gather(mask, dim=1, index=ids_restore)
    return x_masked, mask, ids_restore


class SimMIMMaskGenerator:
    "SimMIM's MaskGenerator (microsoft/SimMIM, data/data_simmim.py): one numpy permutation per sample."
    def __init__(self, input_size=192, mask_patch_size=32, model_patch_size=4, mask_ratio=0.6):
        self.rand_size = input_size // mask_patch_size
        self.scale = mask_patch_size // model_patch_size
        self.token_count = self.rand_size ** 2
        self.mask_count = int(np.ceil(self.token_count * mask_ratio))

    def __call__(self):
        mask_idx = np.random.permutation(self.token_count)[:self.mask_count]
        mask = np.zeros(self.token_count, dtype=int)
        mask[mask_idx] = 1
        mask = mask.reshape((self.rand_size, self.rand_size))
        return mask.repeat(self.scale, axis=0).repeat(self.scale, axis=1)


def span_mask_loop(B, L, ratio, p=0.2, max_len=10, rng=random):
    "Per-row SpanBERT-style loop: add geometric spans until the budget, the last one trimmed to fit exactly."
    probs = span_length_probs(p=p, max_len=max_len).tolist()
    lengths = list(range(1, max_len + 1))
    budget = int(math.floor(ratio * L + 0.5))
    out = torch.zeros(B, L, dtype=torch.bool)
    for b in range(B):
        row = [False] * L; n = 0
        while n < budget:
            span = rng.choices(lengths, probs)[0]
            start = rng.randrange(0, L - span + 1)
            for i in range(start, start + span):
                if not row[i] and n < budget:
                    row[i] = True; n += 1
        out[b] = torch.tensor(row)
    return out


# ---- the comparisons -----------------------------------------------------------------------------

def main(tiny: bool = False, threads: int | None = 1) -> list[dict]:
    """Run the four comparisons; returns one dict per row of the printed table.
    Both sides run with the same `threads` torch threads (1 by default: on a busy 2-core machine
    multi-threaded timings swing by 10x, single-threaded ones compare fairly)."""
    before = torch.get_num_threads()
    if threads: torch.set_num_threads(threads)
    try: return _compare(tiny)
    finally: torch.set_num_threads(before)


def _compare(tiny):
    B = 8 if tiny else 256
    t = 0.05 if tiny else 1.0  # seconds of timing per side
    g = torch.Generator().manual_seed(0)
    rows = []

    def add(name, ours, ref, goal, ok):
        # the goals are for the full sizes: at tiny sizes fixed per-call costs dominate, so they are not judged
        rows.append(dict(name=name, ours_ms=ours, reference_ms=ref, ratio=ours / ref, goal=goal, met=None if tiny else ok(ours / ref)))

    try:
        import transformers  # noqa: F401  (the `bench` extra)
        has_hf = True
    except ImportError:
        if not tiny: raise SystemExit('bert_corrupt needs its reference: pip install -e ".[bench]" (HuggingFace transformers)')
        print('bert_corrupt: skipped in --tiny, transformers is not installed (pip install -e ".[bench]")')
        has_hf = False
    if has_hf:
        fast, collator = _hf_collator()
        special = sorted(fast.all_special_ids)
        ids = torch.randint(len(special), 1000, (B, 128), generator=g)
        ids[:, 0] = fast.cls_token_id; ids[:, -1] = fast.sep_token_id
        ours, ref = _pair_ms(lambda: bert_corrupt(ids, mask_id=fast.mask_token_id, vocab_size=1000, special_ids=special, generator=g),
                             lambda: collator.torch_mask_tokens(ids.clone()), t)
        add(f'bert_corrupt {B}x128', ours, ref, '<= 0.2 (5x faster)', lambda r: r <= 0.2)

    x = torch.randn(B, 196, 64 if tiny else 768, generator=g)
    def ours_mae():
        info = random_mask(B, 196, 0.75, generator=g)
        return gather_visible(x, info.ids_keep), info
    ours, ref = _pair_ms(ours_mae, lambda: mae_reference(x, 0.75), t)
    add(f'random_mask+gather {B}x196x{x.shape[2]}', ours, ref, '<= 1.1', lambda r: r <= 1.1)

    gen = SimMIMMaskGenerator()
    ours, ref = _pair_ms(lambda: simmim_mask(B, generator=g), lambda: torch.from_numpy(np.stack([gen() for _ in range(B)])), t)
    add(f'simmim_mask {B} masks', ours, ref, '<= 0.5 (2x faster)', lambda r: r <= 0.5)

    rng = random.Random(0)
    ours, ref = _pair_ms(lambda: span_mask(B, 128, 0.15, generator=g), lambda: span_mask_loop(B, 128, 0.15, rng=rng), t)
    add(f'span_mask exact {B}x128', ours, ref, '<= 0.1 (10x faster)', lambda r: r <= 0.1)
    return rows


def print_table(rows):
    print(f"{'name':34s} {'ours ms':>9s} {'reference ms':>13s} {'ratio':>7s}  {'goal':20s} met?")
    for r in rows:
        print(f"{r['name']:34s} {r['ours_ms']:9.3f} {r['reference_ms']:13.3f} {r['ratio']:7.3f}  {r['goal']:20s} {'-' if r['met'] is None else 'yes' if r['met'] else 'NO'}")


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--tiny', action='store_true', help='small sizes and short timings (seconds)')
    ap.add_argument('--threads', type=int, default=1, help='torch threads for both sides (0 = leave as is)')
    args = ap.parse_args()
    print_table(main(args.tiny, args.threads))
