"""The layout of mpkit: method families as packages, methods that import only the core, no private names across modules.

A method module (`mpkit/methods/<family>/<key>.py`) may import the core (`mpkit.<module>`) and nothing else of mpkit, with
one exception: its own family's baseline (the registry entry whose `baseline_of` lists it), and only the classes it
subclasses. No module imports a `_private` name from another module. The notebooks' code cells are held to the same
rule (a notebook may import its family's baseline to run it as the comparison, never another method)."""
import ast, json, re
from pathlib import Path
import pytest
from mpkit.papers import PAPERS

ROOT = Path(__file__).resolve().parent.parent
METHODS = ROOT / 'mpkit' / 'methods'
BASELINE = {k: p.key for p in PAPERS.values() for k in p.baseline_of}          # method key -> its family's baseline key
FAMILY = {p.stem: p.parent.name for p in METHODS.glob('*/*.py') if p.stem != '__init__'}
MODULES = sorted(p for p in METHODS.glob('*/*.py') if p.stem != '__init__')


def _mpkit_imports(tree: ast.AST, module_parts: list[str]):
    "(dotted mpkit module, [names], node) of every import of mpkit in `tree`; relative imports resolved."
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_parts[:len(module_parts) - node.level]
                mod = '.'.join(base + ([node.module] if node.module else []))
            else: mod = node.module or ''
            if mod == 'mpkit' or mod.startswith('mpkit.'): yield mod, [a.name for a in node.names], node
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith('mpkit.'): yield a.name, [], node


def _subclassed(tree: ast.AST) -> set[str]:
    return {b.id for n in ast.walk(tree) if isinstance(n, ast.ClassDef) for b in n.bases if isinstance(b, ast.Name)}


def _problems(tree, key, where, module_parts, subclass_only=True):
    out = []
    sub = _subclassed(tree)
    for mod, names, node in _mpkit_imports(tree, module_parts):
        parts = mod.split('.')
        for n in names:
            if n.startswith('_'): out.append(f"{where}:{node.lineno} imports the private name {n} from {mod}")
        if len(parts) >= 3 and parts[1] == 'methods':
            if len(parts) == 3: out.append(f"{where}:{node.lineno} imports the family package {mod}"); continue
            other = parts[3]
            if other == key: continue
            if BASELINE.get(key) != other or FAMILY.get(other) != FAMILY.get(key):
                out.append(f"{where}:{node.lineno} imports the method {other} (only the core, or its family's baseline "
                           f"{BASELINE.get(key)!r} to subclass, may be imported)")
            elif subclass_only and not set(names) <= sub:
                out.append(f"{where}:{node.lineno} imports {sorted(set(names) - sub)} from its baseline {other} "
                           "without subclassing them (move what two methods need into the core)")
    return out


def test_every_method_module_is_in_a_family_folder():
    assert not [p.name for p in METHODS.glob('*.py') if p.stem != '__init__'], 'method modules belong in mpkit/methods/<family>/'
    registry = {p.key for p in PAPERS.values() if p.status == 'implemented'}
    assert set(FAMILY) == registry, (set(FAMILY) ^ registry)


@pytest.mark.parametrize('path', MODULES, ids=lambda p: f'{p.parent.name}/{p.stem}')
def test_a_method_module_imports_only_the_core(path):
    parts = ['mpkit', 'methods', path.parent.name, path.stem]
    assert _problems(ast.parse(path.read_text()), path.stem, path.relative_to(ROOT), parts) == []


def test_no_core_module_imports_a_private_name_of_another():
    bad = []
    for path in sorted((ROOT / 'mpkit').glob('*.py')):
        bad += [f"{path.name}:{node.lineno} imports {n} from {mod}"
                for mod, names, node in _mpkit_imports(ast.parse(path.read_text()), ['mpkit', path.stem])
                for n in names if n.startswith('_') and n != '__version__']
    assert bad == []


NOTEBOOKS = sorted(p for p in (ROOT / 'nbs').glob('*/*.ipynb') if not p.parent.name.startswith('.'))   # not Jupyter's checkpoints


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: f'{p.parent.name}/{p.stem}')
def test_a_method_notebook_imports_only_the_core_and_its_baseline(nb):
    cells = json.loads(nb.read_text())['cells']
    code = '\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'code')
    code = '\n'.join(l for l in code.splitlines() if not l.lstrip().startswith(('%', '!', '#|')))
    exp = re.search(r'#\| default_exp methods\.(\w+)\.(\w+)', '\n'.join(''.join(c['source']) for c in cells))
    assert exp and exp.group(1) == nb.parent.name, f'{nb.name} exports no method module of the {nb.parent.name} family'
    key = exp.group(2)
    parts = ['mpkit', 'methods', FAMILY[key], key]
    assert _problems(ast.parse(code), key, nb.relative_to(ROOT), parts, subclass_only=False) == []
