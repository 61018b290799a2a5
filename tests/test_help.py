"""`help()` shows every argument of the core's public functions and classes, with its comment.

The kit documents each parameter with a comment after it, one parameter a line. Each core module ends with
`document(globals())` (`mpkit.checks`), which appends those comments to each public docstring as an
`Arguments:` section. Here `argument_docs` reads the comments again from the source, every parameter (but
`self`, `*args` and `**kwargs`) must have one, and `pydoc.render_doc` must show it as `name: comment`.
"""

import importlib, inspect, pydoc
from pathlib import Path
import pytest

import mpkit
from mpkit.checks import argument_docs, document

CORE = sorted(p.stem for p in Path(mpkit.__file__).parent.glob('*.py') if not p.stem.startswith('_'))
MODULES = CORE


def public(module: str):
    "(name, object) of each public function and class of `mpkit.<module>`."
    mod = importlib.import_module(f'mpkit.{module}')
    for name in mod.__all__:
        obj = getattr(mod, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj


def arguments(obj) -> dict:
    "{parameter: comment} of `obj`, without `self`, `*args` and `**kwargs`."
    try:
        params = inspect.signature(obj).parameters.values()
        star = {p.name for p in params if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    except (TypeError, ValueError):
        star = set()
    return {k: v for k, v in argument_docs(obj).items() if k != 'return' and k not in star}


def test_the_sweep_sees_the_core():
    assert {'checks', 'masking', 'models', 'train'} <= set(CORE)
    assert sum(1 for m in CORE for _ in public(m)) > 150


@pytest.mark.parametrize('module', MODULES)
def test_every_parameter_has_a_comment(module):
    missing = []
    for name, obj in public(module):
        try:
            wanted = [p for p in inspect.signature(obj).parameters.values()
                      if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        except (TypeError, ValueError):
            wanted = []
        docs = arguments(obj)
        if wanted and not docs:
            missing.append(f'{name}: no source read')
        missing += [f'{name}({k})' for k, v in docs.items() if not v]
    assert not missing, f'parameters without a comment in mpkit.{module}: {missing}'


@pytest.mark.parametrize('module', MODULES)
def test_help_shows_every_comment(module):
    unseen = []
    for name, obj in public(module):
        text = pydoc.render_doc(obj, renderer=pydoc.plaintext)
        unseen += [f'{name}({k})' for k, v in arguments(obj).items() if v and f'{k}: {v}' not in text]
    assert not unseen, f'comments that help() does not show in mpkit.{module}: {unseen}'


@pytest.mark.parametrize('module', MODULES)
def test_document_ran_once(module):
    "The module documented itself at import; documenting it again appends nothing."
    mod = importlib.import_module(f'mpkit.{module}')
    assert document(vars(mod)) == 0
    docs = [obj.__doc__ or '' for _, obj in public(module)]
    assert any('Arguments:' in d for d in docs)
    assert all(d.count('\nArguments:\n') <= 1 for d in docs)
