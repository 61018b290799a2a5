"""Print how long each stage of `make test` took and the ten slowest notebooks (read from the files it wrote).

Usage: python .ci/report.py TIMES_DIR [FAILED_STAGE]. Timing is reported, never asserted.
"""
import sys
from pathlib import Path

def rows(path: Path) -> list[tuple[str, float]]:
    if not path.exists(): return []
    return [(a, float(b)) for a, b in (l.split('\t') for l in path.read_text().splitlines() if '\t' in l)]

def main(argv):
    folder = Path(argv[1])
    stages, nbs = rows(folder/'stages.tsv'), rows(folder/'notebooks.tsv')
    print('\n== time per stage ==')
    print(f'| {"stage":<14} | {"seconds":>8} |\n|{"-" * 16}|{"-" * 10}|')
    for name, s in stages: print(f'| {name:<14} | {s:8.0f} |')
    if len(argv) > 2: print(f'| {argv[2]:<14} | {"FAILED":>8} |')
    print(f'| {"total":<14} | {sum(s for _, s in stages):8.0f} |')
    if nbs:
        print(f'\n== the ten slowest notebooks (of {len(nbs)}, {sum(s for _, s in nbs):.0f} s in all) ==')
        print(f'| {"notebook":<36} | {"seconds":>8} |\n|{"-" * 38}|{"-" * 10}|')
        for name, s in sorted(nbs, key=lambda r: -r[1])[:10]: print(f'| {name:<36} | {s:8.1f} |')

if __name__ == '__main__':
    main(sys.argv)
