"""Run the notebooks in quick mode, once, the way the course website shows them; the website reuses the result.

Usage: python .ci/nbrun.py [NOTEBOOK_OR_GLOB ...] [--course] [--repeat N] [--seeds S ...] [--times FILE]
                           [--table FILE [--update]] [--keep DIR]

This is the notebook test pass of `make test`. Each notebook is staged exactly as `.ci/docs/build.py` stages
it (nbdev's `#| hide` cells run, `#| eval: false` and test-flagged cells do not), executed by nbclient in a
fresh Jupyter kernel, one notebook at a time, with the environment the website build uses (quick budget,
IN_TEST=1, results written to a temporary folder). A cell that raises fails the pass; every notebook is still
run, and the failures are listed at the end.

The executed copy, outputs included, goes to `.cache/executed/` with a key made of the library's code, the
budget, the seed and the notebook's code. The website build renders such a copy as it is (execution off), so
in `make test` no notebook runs twice; a notebook whose code changed since is executed by the website build.

`--repeat N` runs each notebook N times (nothing is stored then) and `--table FILE` writes the median wall
time of each notebook as a Markdown table: `make nbtime` uses both, on the course notebooks (`--course`).
With `--update` the table keeps the rows of the notebooks not run this time (each row says when it was
measured); `make nbtime NBS=...` uses it. `--keep DIR` writes every executed run, outputs included, to
DIR/<notebook>.seed<S>.ipynb, to read what each seed printed. Timing is reported, never asserted.
With `--results DIR` (`make results`) the notebooks record into DIR/results.json, and after each run without
error its papers' rows of that budget that the run did not write again (older than the run) are removed.
"""
from __future__ import annotations
import argparse, copy, importlib.util, json, os, shutil, statistics, sys, tempfile, time, traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location('mpkit_docs_build', HERE/'docs'/'build.py')
build = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(build)
ROOT = build.ROOT

def is_tested(rel: Path) -> bool:
    "nbdev's exclusions: a `.notest` file beside the notebook or above it, or a `skip_exec` flag."
    for parent in [(build.NBS/rel).parent, *(build.NBS/rel).parents]:
        if (parent/'.notest').exists(): return False
        if parent == build.NBS: break
    nb = json.loads((build.NBS/rel).read_text())
    return not nb.get('metadata', {}).get('skip_exec') and not any(
        '#| skip_exec' in ''.join(c['source']) for c in nb['cells'])

def run_one(rel: Path, staged: dict, timeout: int) -> tuple[dict | None, float, str | None]:
    "Execute one staged notebook; returns (executed notebook or None, seconds, error text or None)."
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError
    nb = nbformat.from_dict(copy.deepcopy(staged))
    client = NotebookClient(nb, timeout=timeout, kernel_name='python3', allow_errors=False,
                            store_widget_state=True,   # False breaks `with output_widget:` cells (nbclient KeyError)
                            skip_cells_with_tag='skip-execution',
                            resources={'metadata': {'path': str((build.NBS/rel).parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    except CellTimeoutError as e:
        return None, time.perf_counter() - start, 'TIMEOUT ' + str(e)
    except CellExecutionError as e:
        return None, time.perf_counter() - start, str(e)
    except Exception:   # a kernel that died or failed to start
        return None, time.perf_counter() - start, traceback.format_exc()
    return json.loads(nbformat.writes(nb)), time.perf_counter() - start, None

def read_table(path: Path) -> dict[str, tuple[list[float], str]]:
    "The rows of a table `write_table` wrote: {notebook: (runs in seconds, date measured)}."
    import re
    text = path.read_text() if path.exists() else ''
    said = re.search(r'Measured (\d{4}-\d\d-\d\d)', text)        # tables without a date column date them all once
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) in (3, 4) and cells[0].endswith('.ipynb'):
            rows[cells[0]] = ([float(x) for x in cells[2].split(' / ')], cells[3] if len(cells) == 4 else
                              (said.group(1) if said else 'unknown'))
    return rows

# the budget each course notebook must fit, alone on 2 cores: quick mode (make test), full mode with its seeds
LIMIT_S = {'quick': 40, 'full': 15 * 60}

def write_table(path: Path, times: dict[str, list[float]], repeat: int, seeds=None, update: bool = False,
                budget: str = 'quick'):
    today = time.strftime('%Y-%m-%d')
    dated = {nb: (t, today) for nb, t in times.items()}
    kept = {nb: v for nb, v in read_table(path).items() if nb not in times} if update else {}
    dated = kept | dated
    times = {nb: t for nb, (t, _) in dated.items()}
    rows = sorted(times.items(), key=lambda kv: -statistics.median(kv[1]))
    total = sum(statistics.median(t) for t in times.values())
    how = (f'{repeat} time(s), by `make nbtime` (`.ci/nbrun.py --course --repeat {repeat}'
           + (f' --seeds {" ".join(map(str, seeds))}' if seeds else '') + '`)' if budget == 'quick' else
           'by `make results` (`.ci/nbrun.py --course --results results`, the full budget, every seed of its claims)')
    lines = [f'# {"Quick-mode" if budget == "quick" else "Full-budget"} wall time of the course notebooks', '',
             f'Each notebook run alone in a fresh Jupyter kernel, {how}, on {os.cpu_count()} cores'
             + (', one run per seed' if seeds else '') + '; median in seconds, kernel start included.'
             + (f' {len(kept)} row(s) kept from an earlier run (`--update`); the date says when each was measured.' if kept else ''),
             '', '| notebook | median (s) | runs (s) | measured |', '|---|---:|---|---|']
    lines += [f'| {nb} | {statistics.median(t):.1f} | {" / ".join(f"{x:.1f}" for x in t)} | {dated[nb][1]} |' for nb, t in rows]
    limit = LIMIT_S[budget]
    over = [nb for nb, t in times.items() if statistics.median(t) > limit]
    lines += [f'| **total** | **{total:.0f}** | | |', '',
              f'{len(over)} of {len(times)} notebooks over the {limit} s budget' + (': ' + ', '.join(over) if over else '.'), '']
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('\n'.join(lines))

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('notebooks', nargs='*', help='notebooks or globs (default: every notebook under nbs/)')
    ap.add_argument('--course', action='store_true', help='only the course notebooks (those in family folders)')
    ap.add_argument('--repeat', type=int, default=1, help='runs per notebook; above 1 nothing is stored')
    ap.add_argument('--seeds', type=int, nargs='+', help='MPKIT_SEED of each repeat (default: the settings seed '
                    'every time); `make nbtime` uses 0 1 2, so its three runs also check the quick asserts per seed')
    ap.add_argument('--timeout', type=int, default=300, help='seconds one cell may run (default: 300; a notebook '
                    'whose cell runs past it gets one more run)')
    ap.add_argument('--times', help='append "notebook<TAB>seconds" lines to this file')
    ap.add_argument('--table', help='write the median times as a Markdown table to this file')
    ap.add_argument('--update', action='store_true', help='with --table: keep the rows of notebooks not run now')
    ap.add_argument('--keep', help='write each executed run to KEEP/<notebook>.seed<S>.ipynb (outputs included)')
    ap.add_argument('--results', help='folder the notebooks record their results in (default: a temporary one)')
    args = ap.parse_args(argv)
    if args.repeat < 1: raise SystemExit(f'--repeat must be at least 1, got {args.repeat}')
    if args.seeds and len(args.seeds) != args.repeat:
        raise SystemExit(f'--seeds needs one seed per repeat ({args.repeat}), got {len(args.seeds)}')
    rels = [r for r in build.select_notebooks(args.notebooks) if is_tested(r)]
    if args.notebooks: rels = [r for r in rels if r != Path('index.ipynb') or 'index' in ' '.join(args.notebooks)]
    if args.course: rels = [r for r in rels if len(r.parts) > 1]
    if not rels: raise SystemExit('no notebook to run')
    budget = os.environ.get('MPKIT_BUDGET', 'quick')
    results = str(Path(args.results).resolve()) if args.results else tempfile.mkdtemp(prefix='mpkit-nbrun-results-')
    os.environ.update(build.kernel_env(budget, results))   # the kernels inherit it
    times: dict[str, list[float]] = {}
    failed = []
    start = time.time()
    try:
        run_all(rels, args, budget, times, failed)
    finally:
        if not args.results: shutil.rmtree(results, ignore_errors=True)
    if args.table:
        write_table(Path(args.table), times, args.repeat, args.seeds, update=args.update, budget=budget)
        if (ROOT/'README.md').exists(): update_readme_times(ROOT)
    print(f'ran {len(rels)} notebook(s) x {args.repeat} in {time.time() - start:.0f} s; '
          f'{len(failed)} failed' + (': ' + ', '.join(failed) if failed else ''))
    return 1 if failed else 0

TIME_TABLES = {'quick': ('results/nbtime.md', 'make nbtime'), 'full': ('results/fulltime.md', 'make results')}
TIMES_MARKERS = ('<!-- times:start -->', '<!-- times:end -->')

def times_summary(root: Path) -> str:
    "The README's lines on how long the course notebooks take, from the tables `make nbtime` and `make results` write."
    out = []
    for budget, (rel, make) in TIME_TABLES.items():
        rows = read_table(root/rel)
        what = 'Quick mode' if budget == 'quick' else 'Full budget, every seed of the claims'
        if not rows:
            out.append(f'- **{what}**: not measured yet (`{make}` writes `{rel}`).'); continue
        med = sorted(statistics.median(t) for t, _ in rows.values())
        dates = sorted({d for _, d in rows.values()})
        when = dates[0] if len(dates) == 1 else f'{dates[0]} to {dates[-1]}'
        fmt = (lambda x: f'{x:.0f} s') if budget == 'quick' else (lambda x: f'{x / 60:.1f} min')
        out.append(f'- **{what}**: {len(med)} course notebook(s) measured, {fmt(med[0])} to {fmt(med[-1])} each '
                   f'(median {fmt(statistics.median(med))}), {sum(med) / 60:.0f} min in all; '
                   f'each alone on 2 cores, measured {when} by `{make}` ([`{rel}`]({rel})).')
    return '\n'.join(out)

def update_readme_times(root: Path):
    from mpkit.results import update_readme
    update_readme(root/'README.md', *TIMES_MARKERS, times_summary(root))

def drop_stale_rows(rel: Path, budget: str, started: str, path: Path):
    "After a run without error: its papers' rows of this budget older than the run are rows it no longer writes."
    from mpkit.papers import PAPERS
    from mpkit.results import drop_older
    for key, p in PAPERS.items():
        if p.notebook == rel.as_posix() and path.exists():
            n = drop_older(key, budget=budget, before=started, path=path)
            if n: print(f'       {key}: {n} row(s) of an earlier run that this run did not write removed', flush=True)

def run_all(rels, args, budget, times, failed):
    # stage every notebook before the first kernel starts: parsing (`ast`) next to a running kernel client has
    # raised CPython 3.11's "AST constructor recursion depth mismatch"
    flags = build.test_flags()
    staged = {rel: build.stage_notebook(rel, flags)[0] for rel in rels}
    for rel in rels:
        for i in range(args.repeat):
            if args.seeds: os.environ['MPKIT_SEED'] = str(args.seeds[i])   # the kernel inherits it
            started = time.strftime('%Y-%m-%d %H:%M:%S')
            nb, secs, err = run_one(rel, staged[rel], args.timeout)
            if err and err.startswith('TIMEOUT'):
                # a quick cell takes seconds: one that runs past the limit is a hung kernel more likely than a slow
                # notebook (seen once, not reproduced); say which cell, then give the notebook one more run
                print(f'TIMEOUT {secs:7.1f} s  {rel.as_posix()}: running it once more\n{err[-3000:]}', file=sys.stderr, flush=True)
                nb, secs, err = run_one(rel, staged[rel], args.timeout)
            times.setdefault(rel.as_posix(), []).append(secs)
            tag = f' (run {i + 1}/{args.repeat})' if args.repeat > 1 else ''
            if args.seeds: tag += f' seed {args.seeds[i]}'
            print(f'{"FAILED" if err else "ok":>6} {secs:7.1f} s  {rel.as_posix()}{tag}', flush=True)
            if err:
                failed.append(rel.as_posix())
                print(err[-6000:], file=sys.stderr, flush=True)
                break
            if args.repeat == 1 and not args.results: build.store_executed(rel, nb, budget, secs)
            if args.results: drop_stale_rows(rel, budget, started, Path(args.results)/'results.json')
            if args.keep:
                out = Path(args.keep)/f'{rel.with_suffix("").as_posix()}.seed{os.environ.get("MPKIT_SEED", "default")}.ipynb'
                out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(nb))
            if args.times:
                with open(args.times, 'a') as f: f.write(f'{rel.as_posix()}\t{secs:.1f}\n')

if __name__ == '__main__':
    sys.exit(main())
