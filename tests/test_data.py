"""The shipped data samples: every file listed in a manifest and in SOURCES.md, hashes and sizes, and the loaders' contracts."""
import hashlib, json, os, shutil, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
import mpkit.data as D

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT/'data_samples'
NOT_DATA = {'build.py', 'build_speech.py', 'build_macro.py', 'build_dialect.py', 'build_proteins.py', 'manifest.json',
            'SOURCES.md', '__init__.py'}
MB = 1024 * 1024

def _data_files():
    return sorted(p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob('*')
                  if p.is_file() and p.name not in NOT_DATA and '__pycache__' not in p.parts)

def _entries():
    out = {}
    for mf in sorted(SAMPLES.glob('*/manifest.json')):
        for e in json.loads(mf.read_text())['files']:
            rel = e['file'] if e['file'].startswith(mf.parent.name + '/') else f"{mf.parent.name}/{e['file']}"
            out[rel] = e
    return out

def test_every_file_is_in_a_manifest_and_every_entry_exists():
    files, entries = _data_files(), _entries()
    assert files, 'no data samples found'
    assert [f for f in files if f not in entries] == [], 'files not listed in any manifest'
    assert [f for f in entries if not (SAMPLES/f).is_file()] == [], 'manifest entries without a file'

def test_manifest_fields_sizes_and_hashes():
    for rel, e in _entries().items():
        for k in ('file', 'source', 'version', 'licence', 'how', 'bytes', 'sha256'):
            assert str(e.get(k, '')).strip(), f'{rel}: manifest field {k!r} is empty'
        data = (SAMPLES/rel).read_bytes()
        assert len(data) == e['bytes'], f'{rel}: {len(data)} bytes, manifest says {e["bytes"]}'
        assert hashlib.sha256(data).hexdigest() == e['sha256'], f'{rel}: sha256 does not match its manifest'

def test_sources_md_lists_every_file_with_its_hash():
    text = (SAMPLES/'SOURCES.md').read_text()
    assert 'network' in text and 'build.py' in text
    for rel, e in _entries().items():
        line = next((l for l in text.splitlines() if l.startswith(f'| {e["file"]} |')), None)
        assert line is not None, f'{rel} is missing from SOURCES.md'
        assert e['sha256'] in line and str(e['bytes']) in line, f'{rel}: SOURCES.md is stale (rerun build.py)'

def test_size_budget():
    sizes = {f: (SAMPLES/f).stat().st_size for f in _data_files()}
    assert sum(sizes.values()) < 10 * MB
    assert sum(v for f, v in sizes.items() if not f.startswith('speech/')) < 5 * MB
    assert {f: v for f, v in sizes.items() if v >= 2 * MB} == {}

def test_data_dir_in_checkout_and_override(tmp_path, monkeypatch):
    assert D.data_dir().resolve() == SAMPLES.resolve()
    monkeypatch.setenv('MPKIT_DATA_PATH', str(tmp_path))
    assert D.data_dir() == tmp_path
    monkeypatch.setenv('MPKIT_DATA_PATH', str(tmp_path/'nope'))
    with pytest.raises(FileNotFoundError, match='not a folder'): D.data_dir()

def test_missing_and_corrupted_files_say_how_to_rebuild(tmp_path, monkeypatch):
    shutil.copytree(SAMPLES/'video', tmp_path/'video')
    monkeypatch.setenv('MPKIT_DATA_PATH', str(tmp_path))
    assert D.load_cat_frames().shape == (24, 110, 154)
    (tmp_path/'video'/'cat_frames.npz').write_bytes(b'not an npz')
    with pytest.raises(ValueError, match=r'corrupted.*build.py --only video'): D.load_cat_frames()
    with pytest.raises(FileNotFoundError, match=r'build.py --only points'): D.load_bunny()

def test_loaders_do_not_write_into_the_samples():
    before = {p: p.stat().st_mtime_ns for p in SAMPLES.rglob('*') if p.is_file()}
    summary = D.load_every_sample()
    after = {p: p.stat().st_mtime_ns for p in SAMPLES.rglob('*') if p.is_file()}
    assert before == after
    for name in ('sotu', 'python_functions', 'fashion_mnist', 'photo_crops', 'cat_frames', 'eeg', 'motorcycle',
                 'bunny', 'molecules', 'penguins', 'lineups', 'mocap', 'digits', 'table_iris', 'graph_karate_club'):
        assert name in summary, name

def test_text_splits_tokenizers():
    allx = D.load_sotu()
    parts = [D.load_sotu(s) for s in D.SPLITS]
    assert sum(len(p['text']) for p in parts) == len(allx['text'])
    seen = [set(p['address'].tolist()) for p in parts]
    assert not (seen[0] & seen[1] or seen[0] & seen[2] or seen[1] & seen[2])
    assert 4000 <= len(D.load_sotu(era='modern')['text']) <= 6000 and 1000 <= len(D.load_sotu(era='old')['text']) <= 2500
    assert set(allx['party']) >= {'Democratic', 'Republican', 'Whig'}
    with pytest.raises(ValueError, match="expected one of 'train'"): D.load_sotu('training')
    with pytest.raises(ValueError, match="'modern', 'old'"): D.load_sotu(era='new')
    tok = D.load_tokenizer()
    assert [tok.token_to_id(t) for t in D.SPECIAL_TOKENS] == [0, 1, 2, 3, 4]
    assert tok.encode('The State of the Union is strong.').ids == D.load_tokenizer().encode('The State of the Union is strong.').ids
    assert tok.encode('THE UNION').tokens == tok.encode('the union').tokens  # lowercase
    ct = D.CharTokenizer(['abc'])
    assert ct.encode('cab', add_special=True) == [2, 7, 5, 6, 3] and ct.decode([2, 7, 5, 6, 3]) == 'cab'
    assert ct.encode('z') == [ct.unk_id]
    py = D.load_python_functions()
    assert 200 <= len(py['code']) <= 1000 and py['python'].startswith('3.')

def test_generators_are_deterministic_and_check_their_input():
    a, b = D.moving_sprites(3, seed=7), D.moving_sprites(3, seed=7)
    assert a['video'].shape == (3, 10, 64, 64) and a['video'].dtype == np.uint8
    assert all(np.array_equal(a[k], b[k]) for k in a)
    s = D.sleep_eeg(4, fs=100, seed=2)
    assert s['signal'].shape == (4, 3000) and s['signal'].dtype == np.float32
    assert np.array_equal(s['signal'], D.sleep_eeg(4, fs=100, seed=2)['signal'])
    p = D.primitive_shapes(4, points=64, seed=1)
    assert p['points'].shape == (4, 64, 3) and p['parts'].shape == (4, 64)
    lg = D.simulate_league(teams=4, seasons=1, seed=3)
    assert lg['synthetic'] and lg['lineups'].shape == (12, 2, 11)
    assert np.array_equal(lg['stats'][..., 0].sum(-1), lg['goals'])
    for bad in (lambda: D.moving_sprites(0), lambda: D.sleep_eeg(-2), lambda: D.primitive_shapes(2, points=0),
                lambda: D.simulate_league(teams=1), lambda: D.load_molecules(10**7), lambda: D.load_graph('cora'),
                lambda: D.load_table('titanic')):
        with pytest.raises(ValueError, match='expected'): bad()

def test_real_loaders_shapes():
    m = D.load_mocap()
    assert m['positions'].shape[1:] == (31, 3) and len(m['joints']) == 31 and m['parents'][0] == -1
    assert abs(m['fps'] - 30) < 0.01
    pg = D.load_penguins()
    assert len(pg['species']) == 344 and np.isnan(pg['bill_length_mm']).sum() == 2
    mol = D.load_molecules(5)
    assert all(set(d) == {'element', 'charge', 'aromatic', 'hcount'} for g in mol for _, d in g.nodes(data=True))
    assert all('order' in d for g in mol for *_, d in g.edges(data=True))

def test_build_script_help_runs_without_building():
    out = subprocess.run([sys.executable, str(SAMPLES/'build.py'), '--help'], capture_output=True, text=True, check=True).stdout
    assert '--only' in out and '--skip-speech' in out
