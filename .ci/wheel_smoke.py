"""Run from outside the repo, with the wheel installed in a fresh venv: import mpkit and load every data sample."""
import sys
from pathlib import Path
import mpkit, mpkit.config, mpkit.papers, mpkit.results
here = Path(mpkit.__file__).resolve()
assert 'site-packages' in here.parts, f'mpkit imported from {here}, not from the installed wheel'
assert mpkit.config.repo_root() is None, 'an installed wheel should not see a checkout'
assert len(mpkit.papers.PAPERS) == 42
# every implemented paper's functions import from the wheel (the method family packages are in it)
problems = [msg for p in mpkit.papers.PAPERS.values() for msg in mpkit.papers.check_paper(p)]
assert not problems, problems
import mpkit.data
d = mpkit.data.data_dir()
assert 'site-packages' in d.resolve().parts, f'data_samples found at {d}, not inside the wheel'
loaded = mpkit.data.load_every_sample()
for name, summary in loaded.items(): print(f'  {name:28s} {summary}')
import subprocess
out = subprocess.run([sys.executable, '-m', 'mpkit', 'papers'], capture_output=True, text=True, check=True).stdout
assert 'hubert' in out
# the recorded results ship in the wheel: the table prints them, not "No results recorded yet"
rows = mpkit.results.load_results()
assert rows and 'site-packages' in mpkit.results.recorded_results_path().resolve().parts, 'no recorded results in the wheel'
out = subprocess.run([sys.executable, '-m', 'mpkit', 'results'], capture_output=True, text=True, check=True).stdout
assert '| bert |' in out and 'No results recorded yet' not in out, out[:500]
print(f'wheel OK: mpkit {mpkit.__version__} from {here.parent}, {len(loaded)} samples loaded from {d}')
# the README's library tour runs against the installed wheel too, as a reuser outside the repo would run it
import contextlib, io, re
readme = (Path(__file__).resolve().parents[1]/'README.md').read_text()
tour = re.findall(r'```python\n(.*?)```', readme.split('## Using mpkit as a library', 1)[1].split('\n## ', 1)[0], flags=re.S)
assert len(tour) >= 4, 'the README tour has masking, targets, a model and an explorer'
ns, printed = {}, io.StringIO()
with contextlib.redirect_stdout(printed):
    for block in tour: exec(compile(block, 'README.md', 'exec'), ns)
assert '[12, 12, 12, 12]' in printed.getvalue() and '[6, 6]' in printed.getvalue(), printed.getvalue()
assert 'site-packages' in Path(sys.modules['mpkit.explorers'].__file__).resolve().parts, 'the tour imported mpkit from a checkout'
print(f'README tour OK against the wheel ({len(tour)} blocks)')
