"""Speed of the masked-prediction core against reference implementations, measured in the same run.

    python benchmarks/bench_core.py              # full sizes (the numbers quoted in the notes)
    python benchmarks/bench_core.py --tiny       # seconds; CI only checks that it runs
    python benchmarks/bench_core.py --threads 2  # torch/BLAS threads for both sides (default 1)

Each row: ours vs the reference, the ratio (ours / reference time, lower is faster), the goal and
whether it is met. Benchmarks are not tests: timings on a shared machine swing, ratios measured in
one run are what we compare. Both sides always run with the same thread count.
"""
import argparse, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_masking, bench_targets  # noqa: E402


def _fmt(v):
    return f'{v:.3g}' if isinstance(v, float) else str(v)


def main(tiny: bool = False, threads: int = 1) -> list[dict]:
    rows = bench_masking.main(tiny, threads=threads) + bench_targets.main(tiny, threads=threads)
    print(f'\n== mpkit core: summary ({threads} thread(s); ratio = ours / reference time) ==')
    for r in rows:
        met = '-' if tiny or r.get('met') is None else ('met' if r['met'] else 'NOT met')
        print(f"{r['name']:<36s} ratio {_fmt(r['ratio']):>8s}   goal {_fmt(r['goal']):<26s} {met}")
    if tiny: print('(tiny sizes: fixed per-call costs dominate, goals are not judged)')
    return rows


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--tiny', action='store_true', help='tiny sizes: checks the script runs, numbers mean nothing')
    ap.add_argument('--threads', type=int, default=1, help='torch/BLAS threads for both sides')
    args = ap.parse_args()
    main(args.tiny, args.threads)
