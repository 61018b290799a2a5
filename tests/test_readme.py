"""The README's library tour runs as written: its python blocks, in order, in one namespace."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def tour_blocks() -> list[str]:
    readme = (ROOT/'README.md').read_text()
    section = readme.split('## Using mpkit as a library', 1)[1].split('\n## ', 1)[0]
    return re.findall(r'```python\n(.*?)```', section, flags=re.S)

def test_the_readme_tour_runs(capsys):
    blocks = tour_blocks()
    assert len(blocks) >= 4, 'the README tour has masking, targets, a model and an explorer'
    ns = {}
    for block in blocks: exec(compile(block, 'README.md', 'exec'), ns)
    printed = capsys.readouterr().out
    assert '[12, 12, 12, 12]' in printed and '[6, 6]' in printed      # the numbers the comments promise
    out = ns['out']
    assert out.pred.shape[:2] == out.mask.shape and out.mask.dtype == ns['torch'].bool
    assert all(p.grad is not None for p in ns['mae'].parameters() if p.requires_grad), 'backward reached every weight'


def test_the_readme_times_are_the_measured_ones():
    "The README's times block is what the measured tables render (`make nbtime`, `make results` write both)."
    import importlib.util
    spec = importlib.util.spec_from_file_location('nbrun', ROOT/'.ci'/'nbrun.py')
    nbrun = importlib.util.module_from_spec(spec); spec.loader.exec_module(nbrun)
    readme = (ROOT/'README.md').read_text()
    start, end = nbrun.TIMES_MARKERS
    block = readme.split(start)[1].split(end)[0].strip()
    assert block == nbrun.times_summary(ROOT).strip(), 'README times are stale: run `make nbtime` (or update them)'
    assert 'course notebook(s) measured' in block.splitlines()[0]   # the quick times are measured, not promised
