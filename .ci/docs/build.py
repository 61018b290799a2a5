"""Build the course website into `_docs/` from the notebooks: Sphinx + MyST-NB, offline.

Usage: python .ci/docs/build.py [NOTEBOOK_OR_GLOB ...] [--out DIR] [--timeout S] [--no-exec]

Without arguments every notebook under nbs/ is built (folders and files starting with `_` or `.` are
skipped, as nbdev does); with arguments only those (paths or globs, relative to the repository or to nbs/),
plus the course home nbs/index.ipynb. nbdev's directives are honoured while staging the notebooks in `_proc/`:
`#| hide` cells run but are not shown, `#| eval: false` and test-flagged (`#| slow`) cells do not run,
`#| export` cells stay visible with links to the API reference, `show_doc(f)` becomes f's API entry.
Notebooks run in quick mode, one at a time, cached by content in `.cache/docs/` (a change to mpkit/ or to
the budget starts a fresh cache). The build fails on a notebook error, a Sphinx warning, a broken
internal link or a page resource that would need the network.
"""
from __future__ import annotations
import argparse, ast, glob, hashlib, html.parser, json, os, re, shutil, subprocess, sys, tempfile, time, tomllib
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
CONF = Path(__file__).resolve().parent
NBS, STAGE, CACHE = ROOT/'nbs', ROOT/'_proc', ROOT/'.cache'/'docs'
EXECUTED = ROOT/'.cache'/'executed'   # notebooks executed by the test pass (.ci/nbrun.py), outputs included
API = 'api'
_DIRECTIVE = re.compile(r'^\s*#\|\s*(.*?)\s*$')
_SHOW_DOC = re.compile(r'^show_doc\(\s*([\w.]+)\s*(?:,[^)]*)?\)\s*$')

def _skipped(rel: Path) -> bool:
    return any(p.startswith(('_', '.')) for p in rel.parts)

def select_notebooks(patterns: list[str]) -> list[Path]:
    "The notebooks to build, relative to nbs/, with the course home always among them."
    if not patterns:
        found = [p.relative_to(NBS) for p in NBS.rglob('*.ipynb')]
        return sorted(p for p in found if not _skipped(p))
    picked = {Path('index.ipynb')}
    for pat in patterns:
        hits = [Path(h) for base in (Path.cwd(), ROOT, NBS) for h in glob.glob(str(base/pat), recursive=True)]
        hits = [h.resolve() for h in hits if h.suffix == '.ipynb' and h.is_file()]
        inside = [h for h in hits if h.is_relative_to(NBS)]
        if not inside:
            raise SystemExit(f'no notebook under nbs/ matches {pat!r}: expected a path or glob such as nbs/09_papers.ipynb or "text/*.ipynb"')
        picked.update(h.relative_to(NBS) for h in inside)
    return sorted(picked)

def split_directives(src: str) -> tuple[dict[str, str], str]:
    "nbdev's leading `#| key: value` / `#| flag args` lines as a dict, and the source without them."
    lines, found = src.splitlines(), {}
    while lines and (m := _DIRECTIVE.match(lines[0])):
        text = m.group(1)
        key, sep, val = text.partition(':') if ':' in text.split(' ')[0] else text.partition(' ')
        found[key.strip()] = val.strip()
        lines.pop(0)
    return found, '\n'.join(lines)

def module_all(module: str) -> list[str]:
    "The names in `mpkit/<module>.py`'s `__all__` (read without importing the module)."
    path = ROOT/'mpkit'/(module.replace('.', '/') + '.py')
    if not path.exists(): return []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '__all__' for t in node.targets):
            return [ast.literal_eval(e) for e in node.value.elts]
    return []

def defined_names(src: str) -> list[str]:
    "Top-level names a cell defines (functions, classes, assignments), in order."
    try: tree = ast.parse(src)
    except SyntaxError: return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                names += [n.id for n in ast.walk(t) if isinstance(n, ast.Name)]
    return names

def api_doc(module: str) -> str:
    return f'{API}/mpkit.{module}'

def _md(source: str) -> dict:
    return dict(cell_type='markdown', id=hashlib.sha1(source.encode()).hexdigest()[:8], metadata={}, source=source)

def export_note(module: str, names: list[str], depth: int) -> dict:
    links = ', '.join(f'{{py:obj}}`{n} <mpkit.{module}.{n}>`' for n in names)
    page = '../' * depth + api_doc(module)
    return _md(f'<small>Exported to [`mpkit.{module}`]({page}.md): {links}</small>' if links else
               f'<small>Exported to [`mpkit.{module}`]({page}.md)</small>')

def resolve_show_doc(name: str, default: str | None, exports: dict[str, list[str]]) -> str | None:
    if name.startswith('mpkit.'): return name
    for mod in ([default] if default else []) + sorted(exports):
        if name.split('.')[0] in exports.get(mod, []): return f'mpkit.{mod}.{name}'
    return None

def test_flags() -> set[str]:
    "nbdev's test flags (pyproject's `tst_flags`): cells carrying one do not run."
    return set(tomllib.loads((ROOT/'pyproject.toml').read_text())['tool']['nbdev'].get('tst_flags', 'notest').split())

def kernel_env(budget: str, results: str) -> dict[str, str]:
    "The environment a notebook kernel runs in, for the test pass and the website alike."
    # IN_TEST=1: the notebooks run as under nbdev-test (their test cells expect it; live widgets draw static figures)
    return dict(MPKIT_BUDGET=budget, MPKIT_RESULTS_PATH=results, PYTHONHASHSEED='0', IN_TEST='1',
                # the kernel draws figures with matplotlib's inline backend (Agg, headless): plain Agg would show none
                MPLBACKEND='module://matplotlib_inline.backend_inline')

def library_hash(budget: str) -> str:
    "The library's code and the run's settings: a change to either makes every executed notebook stale."
    h = hashlib.sha256(budget.encode())
    h.update(os.environ.get('MPKIT_SEED', '').encode())
    for f in sorted((ROOT/'mpkit').rglob('*.py')): h.update(f.read_bytes())
    return h.hexdigest()

def execution_key(nb: dict, budget: str, lib: str | None = None) -> str:
    "What decides a staged notebook's outputs: the library, the settings and the code of the cells that run."
    h = hashlib.sha256((lib or library_hash(budget)).encode())
    for c in nb['cells']:
        if c['cell_type'] == 'code':
            src = c['source'] if isinstance(c['source'], str) else ''.join(c['source'])
            h.update(json.dumps([src, sorted(c.get('metadata', {}).get('tags', []))]).encode())
    return h.hexdigest()

def store_executed(rel: Path, nb: dict, budget: str, seconds: float):
    "Keep a notebook the test pass executed, for the website build to render as it is."
    nb = dict(nb, metadata=dict(nb['metadata'], mpkit_execution=dict(key=execution_key(nb, budget),
                                                                     seconds=round(seconds, 1))))
    path = EXECUTED/rel
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix('.tmp')
    tmp.write_text(json.dumps(nb, indent=1, ensure_ascii=False))
    tmp.replace(path)

def executed_copy(rel: Path, staged: dict, budget: str, lib: str) -> dict | None:
    "The staged notebook with the outputs the test pass got, if it ran the same code with the same settings."
    path = EXECUTED/rel
    if not path.exists(): return None
    done = json.loads(path.read_text())
    if done['metadata'].get('mpkit_execution', {}).get('key') != execution_key(staged, budget, lib): return None
    ran = [c for c in done['cells'] if c['cell_type'] == 'code']
    code = [c for c in staged['cells'] if c['cell_type'] == 'code']
    if len(ran) != len(code): return None
    # the markdown is taken from today's notebook, the outputs from the run: only the code decides those
    cells = iter(ran)
    nb = dict(staged, cells=[dict(c, outputs=(r := next(cells))['outputs'], execution_count=r.get('execution_count'))
                             if c['cell_type'] == 'code' else c for c in staged['cells']])
    nb['metadata'] = dict(staged['metadata'], mystnb=dict(execution_mode='off'))   # MyST-NB renders, not runs
    return nb

def folder_order() -> list[str]:
    "The family folders in the order the registry lists their papers (the course's order)."
    sys.path.insert(0, str(ROOT))
    try:
        from mpkit.papers import PAPERS
    finally:
        sys.path.pop(0)
    return list(dict.fromkeys(p.notebook.split('/')[0] for p in PAPERS.values() if '/' in p.notebook))

def stage_notebook(rel: Path, tst_flags: set[str]) -> tuple[dict, str | None]:
    "The notebook as the website shows it, and the module it exports to."
    nb = json.loads((NBS/rel).read_text())
    cells, module, exports = [], None, {}
    for cell in nb['cells']:
        if cell['cell_type'] != 'code':
            cells.append(cell); continue
        found, body = split_directives(''.join(cell['source']))
        if 'default_exp' in found:
            module = found['default_exp'].split()[0]
            exports.setdefault(module, module_all(module))
        tags = set(cell.get('metadata', {}).get('tags', []))
        if 'hide' in found or found.get('include') == 'false' or not body.strip(): tags.add('remove-cell')
        if found.get('eval') == 'false' or tst_flags & set(found): tags.add('skip-execution')
        if found.get('echo') == 'false': tags.add('remove-input')
        if found.get('output') == 'false': tags.add('remove-output')
        doc = _SHOW_DOC.match(body.strip())
        if doc and 'remove-cell' not in tags:
            target = resolve_show_doc(doc.group(1), module, exports)
            if target:
                cells.append(_md(f'```{{eval-rst}}\n.. autoobject:: {target}\n   :no-index:\n```'))
                continue
        cell = dict(cell, source=body, metadata=dict(cell.get('metadata', {}), tags=sorted(tags)))
        if not tags: cell['metadata'].pop('tags')
        cells.append(cell)
        kind = next((k for k in ('export', 'exports', 'exporti') if k in found), None)
        if kind and 'remove-cell' not in tags:
            mod = found[kind].split()[0] if found[kind] else module
            if mod:
                public = exports.setdefault(mod, module_all(mod))
                names = [n for n in dict.fromkeys(defined_names(body)) if n in public] if kind != 'exporti' else []
                cells.append(export_note(mod, names, len(rel.parts) - 1))
    seen = set()   # the notes added above may repeat a text: give each cell its own id
    for i, c in enumerate(cells):
        if c.get('id') in seen: c['id'] = hashlib.sha1(f"{c['id']}-{i}".encode()).hexdigest()[:8]
        seen.add(c.get('id'))
    nb['cells'] = cells
    nb['metadata'].setdefault('kernelspec', dict(name='python3', display_name='Python 3', language='python'))
    return nb, module

def toctree(caption: str, docs: list[str]) -> str:
    return f'```{{toctree}}\n:caption: {caption}\n:maxdepth: 1\n\n' + '\n'.join(docs) + '\n```\n'

def contents_cell(rels: list[Path], modules: list[str]) -> dict:
    "The course home's table of contents: the site's navigation, every page reachable from it."
    docs = [r.with_suffix('').as_posix() for r in rels if r != Path('index.ipynb')]
    core = [d for d in docs if '/' not in d]
    order = folder_order()   # folders the registry does not name come after, alphabetically
    folders = sorted({d.split('/')[0] for d in docs if '/' in d},
                     key=lambda f: (order.index(f) if f in order else len(order), f))
    parts = ['## Contents\n']
    if core: parts.append(toctree('Core', core))
    for f in folders:
        parts.append(toctree(f.capitalize(), [d for d in docs if d.startswith(f + '/')]))
    if modules: parts.append(toctree('API reference', [f'{API}/index']))
    return _md('\n'.join(parts))

def automodule(mod: str) -> str:
    "autodoc directives for a module: functions and classes by automodule, exported constants by autodata."
    path = ROOT/'mpkit'/(mod.replace('.', '/') + '.py')
    public = module_all(mod)
    data = [n for node in ast.parse(path.read_text()).body if isinstance(node, (ast.Assign, ast.AnnAssign))
            for n in defined_names(ast.unparse(node)) if n in public] if path.exists() else []
    data = list(dict.fromkeys(data))
    text = f'.. automodule:: mpkit.{mod}\n'
    if data: text += f'   :exclude-members: {", ".join(data)}\n'
    # py:data, not autodata: autodata would print the docstring of the value's type (dict, tuple, ...)
    return text + f'\n.. py:currentmodule:: mpkit.{mod}\n' + ''.join(f'\n.. py:data:: {n}\n' for n in data)

def api_pages(modules: dict[str, Path]) -> dict[Path, str]:
    pages = {Path(API)/'index.md': '# API reference\n\nEvery function the notebooks export, one page per module, '
             'from its docstrings.\n\n' + toctree('Modules', [f'mpkit.{m}' for m in sorted(modules)])}
    for mod, rel in sorted(modules.items()):
        pages[Path(API)/f'mpkit.{mod}.md'] = (
            f'# `mpkit.{mod}`\n\nWritten in the notebook {{doc}}`/{rel.with_suffix("").as_posix()}`.\n\n'
            f'```{{eval-rst}}\n{automodule(mod)}```\n')
    return pages

def sync_stage(files: dict[Path, str]):
    "Write the staged sources, touching only what changed (Sphinx then rereads only those), and drop stale ones."
    STAGE.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        dst = STAGE/rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists() or dst.read_text() != text: dst.write_text(text)
    for p in sorted(STAGE.rglob('*'), reverse=True):
        rel = p.relative_to(STAGE)
        if p.is_file() and rel not in files: p.unlink()
        elif p.is_dir() and not any(p.iterdir()): p.rmdir()

def cache_dir(budget: str) -> Path:
    "jupyter-cache keys on the notebook's code; the library and the budget key the folder around it."
    h = hashlib.sha256(budget.encode())
    for f in sorted((ROOT/'mpkit').rglob('*.py')): h.update(f.read_bytes())
    path = CACHE/f'jupyter-cache-{budget}-{h.hexdigest()[:12]}'
    for old in CACHE.glob('jupyter-cache-*'):
        if old != path: shutil.rmtree(old)
    return path

class _Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.refs = []
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ('href', 'src') and v: self.refs.append((tag, v))

def check_links(out: Path) -> list[str]:
    "Broken internal links, and page resources (scripts, styles, images) that would need the network."
    problems = []
    for page in sorted(out.rglob('*.html')):
        parser = _Refs(); parser.feed(page.read_text(errors='replace'))
        for tag, ref in parser.refs:
            url = urlsplit(ref)
            if url.scheme in ('http', 'https') or ref.startswith('//'):
                if tag != 'a': problems.append(f'{page.relative_to(out)}: <{tag}> loads {ref} from the network')
                continue
            if url.scheme or not url.path: continue
            target = (page.parent/unquote(url.path)).resolve()
            if target.is_dir(): target = target/'index.html'
            if not target.exists(): problems.append(f'{page.relative_to(out)}: broken link {ref}')
    return problems

def main(argv=None) -> int:
    global NBS, STAGE, CACHE
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('notebooks', nargs='*', help='notebooks or globs (default: every notebook under nbs/)')
    ap.add_argument('--out', default=str(ROOT/'_docs'), help='output folder (default: _docs/)')
    ap.add_argument('--timeout', type=int, default=900, help='seconds one cell may run (default: 900)')
    ap.add_argument('--no-exec', action='store_true', help='render the notebooks as they are, without running them')
    ap.add_argument('--src', default=str(ROOT/'nbs'), help='notebook folder (default: nbs/)')
    ap.add_argument('--stage', default=str(ROOT/'_proc'), help='where the staged sources go (default: _proc/)')
    ap.add_argument('--cache', default=str(ROOT/'.cache'/'docs'), help='execution cache and doctrees (default: .cache/docs/)')
    args = ap.parse_args(argv)
    NBS, STAGE, CACHE = Path(args.src).resolve(), Path(args.stage).resolve(), Path(args.cache).resolve()
    CACHE.mkdir(parents=True, exist_ok=True)
    start = time.time()
    tst_flags = test_flags()
    rels = select_notebooks(args.notebooks)
    if (NBS/API).exists(): raise SystemExit(f'nbs/{API}/ would collide with the API reference pages')
    budget = os.environ.get('MPKIT_BUDGET', 'quick')
    lib = library_hash(budget)
    files, modules, reused = {}, {}, []
    for rel in rels:
        nb, module = stage_notebook(rel, tst_flags)
        if module: modules[module] = rel
        if not args.no_exec and (done := executed_copy(rel, nb, budget, lib)):
            nb = done; reused.append(rel)
        if rel == Path('index.ipynb'): home = nb
        else: files[rel] = json.dumps(nb, indent=1, ensure_ascii=False)
    home['cells'].append(contents_cell(rels, list(modules)))
    files[Path('index.ipynb')] = json.dumps(home, indent=1, ensure_ascii=False)
    files.update(api_pages(modules))
    sync_stage(files)

    results = tempfile.mkdtemp(prefix='mpkit-docs-results-')   # notebooks that record results never touch results/
    env = dict(os.environ, **kernel_env(budget, results),
               MPKIT_DOCS_EXECUTE='off' if args.no_exec else 'cache', MPKIT_DOCS_CACHE=str(cache_dir(budget)),
               MPKIT_DOCS_TIMEOUT=str(args.timeout))
    if not args.no_exec:
        print(f'{len(reused)} of {len(rels)} notebook(s) already executed by the test pass (.ci/nbrun.py): '
              f'rendered as they are; the other {len(rels) - len(reused)} run now (or come from .cache/docs/)')
    out = Path(args.out).resolve()
    # Sphinx writes into the cache folder (myst-nb puts its image files next to the output folder, in
    # jupyter_execute/, and incremental builds reuse it); the finished site is then copied to `out`.
    html = CACHE/'html'
    cmd = [sys.executable, '-m', 'sphinx', '-b', 'html', '-c', str(CONF), '-d', str(CACHE/'doctrees'),
           '-W', '--keep-going', '-j', '1', str(STAGE), str(html)]
    try:
        rc = subprocess.run(cmd, env=env, cwd=ROOT).returncode
    finally:
        shutil.rmtree(results, ignore_errors=True)
    if rc:
        print(f'docs build failed (sphinx exit {rc}): see the warnings and errors above', file=sys.stderr)
        return rc
    problems = check_links(html)
    for p in problems: print(p, file=sys.stderr)
    if problems:
        print(f'docs build failed: {len(problems)} broken link(s) or network resource(s)', file=sys.stderr)
        return 1
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(html, out, ignore=shutil.ignore_patterns('.buildinfo', '_sources'))
    print(f'built {len(rels)} notebook page(s) and {len(modules)} API page(s) into {out} in {time.time() - start:.0f} s')
    return 0

if __name__ == '__main__':
    sys.exit(main())
