"""Speed of the masked-prediction core against reference implementations, measured in the same run.

    python benchmarks/bench_core.py          # full sizes (the numbers quoted in the notes)
    python benchmarks/bench_core.py --tiny   # seconds; CI only checks that it runs

Each row: ours vs the reference in milliseconds, the ratio, the goal and whether it is met.
Benchmarks are not tests: timings on a shared machine swing, ratios in one run are what we compare.
"""
import argparse, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_masking, bench_targets  # noqa: E402


def main(tiny: bool = False) -> list[dict]:
    rows = bench_masking.main(tiny) + bench_targets.main(tiny)
    print('\n== mpkit core: summary ==')
    for r in rows:
        print(f"{r['name']:<40s} {str(r.get('ratio', '-')):>10s}  goal {r.get('goal', '-'):<12s} {'met' if r.get('met') else 'NOT met'}")
    return rows


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--tiny', action='store_true', help='tiny sizes: checks the script runs, numbers mean nothing')
    main(ap.parse_args().tiny)
