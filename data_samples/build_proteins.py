"""Rebuild data_samples/molecules/proteins.json.gz from the pyhmmer wheel (build time only, never at run time).

    python data_samples/build_proteins.py [path/to/pyhmmer-*.whl]

The PyPI wheel of pyhmmer (MIT) ships, as test data, the predicted proteome of one bacterial genome:
pyhmmer/tests/data/seqs/938293.PRJEB85.HG003687.faa (Prodigal gene calls of a proGenomes genome: NCBI
taxon 938293, ENA study PRJEB85, contigs HG003684-HG003691). The script reads that file from the wheel
with zipfile (pyhmmer is never installed or imported), keeps the proteins of 50-300 residues made of the 20
standard amino acids only (the stop '*' removed), takes 1,000 of them evenly spaced in file order, cuts each
to its first 256 residues and writes them as gzipped JSON with mtime 0, so the bytes are the same on every
run. Then it writes data_samples/molecules/manifest.json (source, version, licence, how it was cut, the
sha256 of the source file and of the output).
"""
from __future__ import annotations
import glob, gzip, hashlib, json, sys, zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE/'molecules'/'proteins.json.gz'
SRC = 'pyhmmer/tests/data/seqs/938293.PRJEB85.HG003687.faa'
VERSION = '0.12.3'
DEFAULT_WHEEL = f'/tmp/ph/pyhmmer-{VERSION}-cp311-*.whl'
AMINO = set('ACDEFGHIKLMNPQRSTVWY')
MIN_LEN, MAX_LEN, N_KEEP, CUT = 50, 300, 1000, 256

def read_fasta(text: str) -> list[tuple[str, str]]:
    "(id, sequence) of every record; the id is the header's first word."
    out, name, parts = [], None, []
    for line in text.splitlines():
        if line.startswith('>'):
            if name is not None: out.append((name, ''.join(parts)))
            name, parts = line[1:].split()[0], []
        elif line.strip(): parts.append(line.strip())
    if name is not None: out.append((name, ''.join(parts)))
    return out

def excerpt(records: list[tuple[str, str]]) -> tuple[list[list[str]], int]:
    "N_KEEP [id, sequence] pairs (MIN_LEN-MAX_LEN standard residues, evenly spaced, cut to CUT) and how many passed."
    ok = [(n, s.rstrip('*')) for n, s in records]
    ok = [(n, s) for n, s in ok if MIN_LEN <= len(s) <= MAX_LEN and set(s) <= AMINO]
    if len(ok) < N_KEEP: raise ValueError(f'only {len(ok)} proteins pass the filter; expected >= {N_KEEP}')
    return [[ok[i * len(ok) // N_KEEP][0], ok[i * len(ok) // N_KEEP][1][:CUT]] for i in range(N_KEEP)], len(ok)

def write_gz_json(obj, p: Path):
    "gzip with mtime=0 and no file name so the bytes (and sha256) are the same on every rebuild."
    raw = json.dumps(obj, ensure_ascii=False, separators=(',', ':')).encode()
    with open(p, 'wb') as f, gzip.GzipFile(filename='', mode='wb', fileobj=f, mtime=0, compresslevel=9) as g:
        g.write(raw)

def main(wheel: str | None = None):
    paths = sorted(glob.glob(wheel or DEFAULT_WHEEL))
    if not paths:
        raise FileNotFoundError(f'no pyhmmer wheel at {wheel or DEFAULT_WHEEL}; '
                                f'`pip download pyhmmer=={VERSION} --no-deps` fetches it')
    with zipfile.ZipFile(paths[0]) as z: raw = z.read(SRC)
    src_sha = hashlib.sha256(raw).hexdigest()
    records = read_fasta(raw.decode())
    proteins, n_ok = excerpt(records)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    how = (f'{SRC} read from the wheel ({len(raw)} bytes, sha256 {src_sha}, {len(records)} proteins); kept the '
           f'{n_ok} of {MIN_LEN}-{MAX_LEN} residues using only the 20 standard amino acids (stop * removed); '
           f'{N_KEEP} of them evenly spaced in file order (record i * {n_ok} // {N_KEEP}), each cut to its first '
           f'{CUT} residues; stored as [id, sequence] pairs; written by data_samples/build_proteins.py')
    write_gz_json(dict(source=f'PyPI pyhmmer {VERSION} wheel, {SRC}', source_sha256=src_sha, how=how,
                       proteins=proteins), OUT)
    data = OUT.read_bytes()
    entry = dict(file='molecules/proteins.json.gz',
                 source=f'PyPI pyhmmer wheel ({SRC}: Prodigal-predicted proteins of a bacterial genome from '
                        'proGenomes, NCBI taxon 938293, ENA study PRJEB85, contigs HG003684-HG003691)',
                 version=VERSION,
                 licence='pyhmmer is MIT (the file is redistributed in its wheel, with no separate notice); the '
                         'sequences derive from INSDC/ENA records, which INSDC makes available without '
                         'restriction on use; proGenomes terms not checked offline',
                 how=how, bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    (OUT.parent/'manifest.json').write_text(json.dumps(dict(modality='molecules', files=[entry]), indent=1) + '\n')
    print(f'wrote {OUT} ({len(data)} bytes, {len(proteins)} proteins) and its manifest')

if __name__ == '__main__': main(sys.argv[1] if len(sys.argv) > 1 else None)
