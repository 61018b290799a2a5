"""The frame every notebook lives in: settings, registry, results, CLI, `make lab`."""
import json, os, re, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest
from mpkit import config, papers, results

ROOT = Path(__file__).resolve().parent.parent


def test_network_is_disabled_for_code_under_test():
    with pytest.raises(RuntimeError, match='network access is disabled'):
        socket.create_connection(('93.184.216.34', 80), timeout=1)
    s = socket.socket()
    with pytest.raises(RuntimeError, match='network access is disabled'):
        s.connect(('pypi.org', 443))
    s.close()


def test_home_is_isolated():
    assert 'mpkit-test-home-' in os.environ['HOME']


def test_settings_file_is_documented_and_valid():
    text = (ROOT/'settings.ini').read_text()
    assert text.startswith('#') and 'MPKIT_' in text.split('[mpkit]')[0]
    s = config.get_settings(ROOT/'settings.ini')
    assert s.budget in ('quick', 'full') and s.device in ('auto', 'cpu', 'cuda')


@pytest.mark.parametrize('key,value,expected', [
    ('budget', 'medium', "budget = 'medium' is not allowed; expected one of quick, full"),
    ('device', 'tpu', "device = 'tpu' is not allowed; expected one of auto, cpu, cuda"),
    ('seed', 'x', "seed = 'x' is not allowed; expected an integer >= 0"),
    ('num_threads', '0', "num_threads = '0' is not allowed; expected an integer >= 1"),
])
def test_bad_setting_names_key_and_allowed_values(tmp_path, monkeypatch, key, value, expected):
    monkeypatch.delenv(f'MPKIT_{key.upper()}', raising=False)
    f = tmp_path/'settings.ini'
    f.write_text(f'[mpkit]\n{key} = {value}\n')
    with pytest.raises(ValueError, match=re.escape(expected)):
        config.get_settings(f)


def test_environment_overrides_file(tmp_path, monkeypatch):
    monkeypatch.delenv('MPKIT_DEVICE', raising=False)
    f = tmp_path/'settings.ini'
    f.write_text('[mpkit]\nbudget = full\nseed = 5\n')
    monkeypatch.setenv('MPKIT_BUDGET', 'quick')
    monkeypatch.setenv('MPKIT_SEED', '7')
    s = config.get_settings(f)
    assert (s.budget, s.seed) == ('quick', 7)
    monkeypatch.setenv('MPKIT_DEVICE', 'gpu')
    with pytest.raises(ValueError, match='device'):
        config.get_settings(f)


def test_unknown_key_is_refused(tmp_path):
    f = tmp_path/'settings.ini'
    f.write_text('[mpkit]\nbugdet = quick\n')
    with pytest.raises(ValueError, match='unknown key'):
        config.get_settings(f)


def test_registry_lists_all_42_entries():
    assert len(papers.PAPERS) == 42
    assert {'bert', 'mae', 'hubert'} <= set(papers.PAPERS)
    paper_md = (ROOT.parent/'shared'/'PAPERS.md')
    if paper_md.exists():  # the course map's source, when present beside the checkout
        rows = [l for l in paper_md.read_text().splitlines() if re.match(r'^\| \d+ \|', l)]
        assert len(rows) == 39


def _nb_is_tested(nb_path: Path) -> bool:
    "nbdev-test runs it: no .notest beside it or above it, no skip_exec flag."
    for parent in [nb_path.parent, *nb_path.parents]:
        if (parent/'.notest').exists(): return False
        if parent == ROOT/'nbs': break
    nb = json.loads(nb_path.read_text())
    return not nb.get('metadata', {}).get('skip_exec') and not any(
        '#| skip_exec' in ''.join(c['source']) for c in nb['cells'])


@pytest.mark.parametrize('key', sorted(k for k, p in papers.PAPERS.items() if p.status == 'implemented') or ['(none yet)'])
def test_implemented_entries_have_notebook_and_functions(key):
    if key == '(none yet)': pytest.skip('no paper is implemented yet')
    p = papers.PAPERS[key]
    assert papers.check_paper(p, ROOT/'nbs') == []
    assert _nb_is_tested(ROOT/'nbs'/p.notebook), f'{p.notebook} is excluded from nbdev-test'


def test_check_paper_catches_missing_pieces(tmp_path):
    p = papers.Paper('x', 'X', 2020, 'text', 'mask', 'text/none.ipynb', ('masking.does_not_exist',), 'implemented')
    problems = papers.check_paper(p, tmp_path)
    assert any('does not exist' in m for m in problems) and any('does not import' in m for m in problems)


def test_cli_prints_registry():
    out = subprocess.run([sys.executable, '-m', 'mpkit', 'papers'], capture_output=True, text=True, check=True).stdout
    assert len([l for l in out.splitlines() if l.strip()]) == 42 + 2
    for key in papers.PAPERS: assert key in out


def test_readme_and_index_show_the_registry():
    readme = (ROOT/'README.md').read_text()
    block = readme.split('<!-- papers:start -->')[1].split('<!-- papers:end -->')[0].strip()
    assert block == papers.papers_table('markdown').strip(), 'README course map is stale: run `python -m mpkit results --readme README.md`'
    index = json.loads((ROOT/'nbs'/'index.ipynb').read_text())
    assert any('papers_table(' in ''.join(c['source']) for c in index['cells'] if c['cell_type'] == 'code')


def test_record_and_check(tmp_results):
    results.record(paper='bert', metric='acc', value=0.3, baseline=0.1, higher_is_better=True, budget='quick')
    results.record(paper='mae', metric='mse', value=0.5, baseline=0.2, higher_is_better=False, budget='quick')
    results.record(paper='climb', metric='loss', value=3.0, baseline=2.9, higher_is_better=False, budget='quick', asserted=False)
    rows = results.load_results(tmp_results/'results.json')
    failures = results.check_results(rows)
    assert len(failures) == 1 and failures[0].startswith('mae/mse')
    with pytest.raises(ValueError, match='NaN'):
        results.record(paper='bert', metric='acc', value=float('nan'), baseline=0.1, higher_is_better=True)


def test_committed_results_beat_their_baselines():
    "Every asserted row in results/results.json beats its baseline in the claimed direction."
    rows = results.load_results(ROOT/'results'/'results.json')
    assert results.check_results(rows) == []
    readme = (ROOT/'README.md').read_text()
    block = readme.split('<!-- results:start -->')[1].split('<!-- results:end -->')[0].strip()
    assert block == results.results_table(rows).strip(), 'README results table is stale: run `make results`'


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_make_lab_serves_jupyterlab(tmp_path):
    port = _free_port()
    env = {**os.environ, 'HOME': str(tmp_path)}
    args = "--ServerApp.token='' --ServerApp.password='' --allow-root"
    proc = subprocess.Popen(['make', '--no-print-directory', 'lab', f'LAB_PORT={port}', f'LAB_ARGS={args}'], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline, status = time.time() + 90, None
        while time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{port}/api/status', timeout=2) as r:
                    status = json.loads(r.read()); break
            except OSError: time.sleep(0.5)
        assert status is not None, f'JupyterLab did not answer on port {port}'
        assert 'started' in status
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try: out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL); out, _ = proc.communicate()
    assert f'http://127.0.0.1:{port}/lab' in out
