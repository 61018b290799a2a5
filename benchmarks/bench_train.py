"""How close a training step of mpkit's default small encoder comes to the machine's float32 matmul peak.

    python benchmarks/bench_train.py          # d=128, 4 layers, batch 64 x 128 tokens (the numbers quoted in the notes)
    python benchmarks/bench_train.py --tiny   # seconds; CI only checks that it runs

Peak: the GFLOP/s of a large square float32 matmul, timed in the same run and interleaved with the training
steps (median of the samples), so that load from other processes on a shared machine lowers both alike.
The best single matmul is printed too.
FLOPs of one training step (forward + backward), counted analytically for T = B * S tokens, n layers, width d:

    6 * P_mm * T  +  12 * n * S * d * T,      P_mm = 12 * d^2 * n

6 * P_mm * T is the usual 2 (forward) + 4 (backward) FLOPs per matmul weight per token, with P_mm the
weights of the matmuls (qkv 3d^2, output projection d^2, MLP 8d^2 per layer); 12 * n * S * d * T is
attention itself (QK^T and AV: 2 * 2 * S * d per token forward, twice that backward). LayerNorm, GELU,
softmax, bias adds and the AdamW update are not counted: they are memory-bound and small at this size.

Rows: our encoder; torch.nn.TransformerEncoder of the same size (pre-norm, GELU, no dropout) as the
reference; our encoder with dropout 0.1 (why pretraining defaults to 0); and the cost of attention capture
when it is off, against the same encoder with the capturing code removed (same weights). Timings are
interleaved and the median is kept, so a shared machine's swings hit every row alike: compare ratios.
"""
import argparse, copy, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F
from mpkit.models import TransformerEncoder, SelfAttention


def matmul_peak(n: int, reps: int) -> float:
    "Best GFLOP/s of an n x n float32 matmul."
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float('inf')
    for _ in range(reps):
        t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


def matmul_sample(n: int, k: int):
    "A timing sample of k n x n matmuls (about as long as one training step), for interleaving with the steps."
    a, b = torch.randn(n, n), torch.randn(n, n)
    def run():
        for _ in range(k): a @ b
    return run


def step_flops(d: int, layers: int, B: int, S: int) -> float:
    T = B * S
    return 6 * (12 * d * d * layers) * T + 12 * layers * S * d * T


class PlainSelfAttention(SelfAttention):
    "SelfAttention without the capture branch or mask handling: only the fused kernel."
    def forward(self, x, *, pad=None, causal=False, return_attention=False):
        B, L, D = x.shape
        q, k, v = self.qkv(x).view(B, L, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(B, L, D)), None


def plain_copy(enc: TransformerEncoder) -> TransformerEncoder:
    "The same encoder and weights, with every attention replaced by PlainSelfAttention."
    plain = copy.deepcopy(enc)
    for blk in plain.blocks:
        new = PlainSelfAttention(enc.dim, blk.attn.heads)
        new.load_state_dict(blk.attn.state_dict())
        blk.attn = new
    return plain


def reference(d, layers, heads):
    layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, activation='gelu', batch_first=True, norm_first=True)
    return nn.Sequential(nn.TransformerEncoder(layer, layers, enable_nested_tensor=False), nn.LayerNorm(d))


def make_step(model, x):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model.train()
    def step():
        loss = model(x).square().mean()
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    return step


def time_interleaved(steps: dict, reps: int) -> dict:
    for s in steps.values(): s(); s()          # warm-up: allocator, kernels, optimizer state
    times = {k: [] for k in steps}
    for _ in range(reps):
        for k, s in steps.items():
            t = time.perf_counter(); s(); times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def main(tiny: bool = False, threads: int | None = None) -> list[dict]:
    if threads: torch.set_num_threads(threads)
    d, layers, heads, B, S, n, k, reps = (32, 2, 4, 4, 32, 256, 2, 3) if tiny else (128, 4, 4, 64, 128, 2048, 4, 7)
    torch.manual_seed(0)
    x = torch.randn(B, S, d)
    ours = TransformerEncoder(d, layers, heads)
    steps = {'mpkit TransformerEncoder': make_step(ours, x),
             'torch nn.TransformerEncoder (reference)': make_step(reference(d, layers, heads), x),
             'mpkit, dropout 0.1': make_step(TransformerEncoder(d, layers, heads, dropout=0.1), x),
             'mpkit, capture code removed': make_step(plain_copy(ours), x),
             'matmul': matmul_sample(n, k)}
    best = matmul_peak(n, reps=5 if tiny else 10)
    t = time_interleaved(steps, reps)
    peak = k * 2 * n ** 3 / t.pop('matmul') / 1e9
    flops = step_flops(d, layers, B, S)
    print(f'== training step, d={d}, {layers} layers, {heads} heads, batch {B}x{S}, {torch.get_num_threads()} threads ==')
    print(f'float32 matmul peak ({n}x{n}): {peak:.1f} GFLOP/s interleaved median (best single: {best:.1f}); '
          f'one step = {flops / 1e9:.2f} GFLOP (6*P_mm*T + 12*n*S*d*T)')
    rows = []
    for name, sec in t.items():
        frac = flops / sec / 1e9 / peak
        rows.append({'name': name, 'ms': sec * 1e3, 'fraction_of_peak': frac})
        print(f'{name:<42s} {sec * 1e3:8.1f} ms/step  {flops / sec / 1e9:7.1f} GFLOP/s  {100 * frac:5.1f}% of peak')
    ours_frac = rows[0]['fraction_of_peak']
    off_ratio = t['mpkit TransformerEncoder'] / t['mpkit, capture code removed']
    ref_ratio = t['mpkit TransformerEncoder'] / t['torch nn.TransformerEncoder (reference)']
    print(f'ratio ours / nn.TransformerEncoder time: {ref_ratio:.2f}')
    print(f'ratio capture-off / capture-code-removed time: {off_ratio:.2f} (1.00 = capture costs nothing when off)')
    print(f'goal >= 55% of peak: {"met" if ours_frac >= 0.55 else "NOT met"} ({100 * ours_frac:.1f}%)')
    with torch.no_grad():
        ours.eval()
        fwd = time_interleaved({'off': lambda: ours(x), 'on': lambda: ours.layers(x, return_attention=True)}, reps)
    print(f'forward only, return_attention=True vs False: {fwd["on"] / fwd["off"]:.2f}x (paid only by the forward that asks)')
    return rows + [{'name': 'capture off / removed', 'ratio': off_ratio}, {'name': 'ours / nn.TransformerEncoder', 'ratio': ref_ratio}]


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--tiny', action='store_true', help='tiny sizes: checks the script runs, numbers mean nothing')
    ap.add_argument('--threads', type=int, default=None, help="torch CPU threads (default: torch's own choice)")
    args = ap.parse_args()
    main(args.tiny, args.threads)
