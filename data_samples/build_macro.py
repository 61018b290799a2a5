"""Rebuild data_samples/text/us_macro_quarterly.csv from the installed statsmodels (build time only, never at run time).

    python data_samples/build_macro.py

Reads statsmodels/datasets/macrodata/macrodata.csv of the installed statsmodels wheel (PyPI; the US
macro series 1959 Q1 - 2009 Q3 compiled from FRED and the BLS, public domain according to the
dataset's own COPYRIGHT text), keeps the date and four series, and writes them with fixed decimals,
so the output is the same bytes on every run. Then it adds (or replaces) the file's entry in
data_samples/text/manifest.json; `python data_samples/build.py --sources-only` recomposes SOURCES.md.

Note: `build.py --only text` empties data_samples/text/ first, so run this script after it.
"""
from __future__ import annotations
import csv, hashlib, importlib.metadata as md, io, json
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE/'text'/'us_macro_quarterly.csv'
SRC = 'statsmodels/datasets/macrodata/macrodata.csv'
# column -> decimals written (those of the source file; the CPI's third decimal is kept)
COLUMNS = {'realgdp': 3, 'cpi': 3, 'unemp': 1, 'infl': 2}

def source_file() -> Path:
    "The macrodata CSV of the installed statsmodels."
    for f in md.files('statsmodels'):
        if str(f).replace('\\', '/').endswith(SRC): return Path(f.locate())
    raise FileNotFoundError(f'{SRC} not found in the installed statsmodels')

def licence_text() -> str:
    "The dataset's COPYRIGHT string, read from its data.py without importing statsmodels."
    text = (source_file().parent/'data.py').read_text()
    return text.split('COPYRIGHT = """', 1)[1].split('"""', 1)[0].strip()

def excerpt(src: Path) -> str:
    "year, quarter and COLUMNS of every row, as CSV text with '\\n' line ends."
    with open(src, newline='') as f: rows = list(csv.DictReader(f))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\n')
    w.writerow(['year', 'quarter', *COLUMNS])
    for r in rows:
        w.writerow([int(float(r['year'])), int(float(r['quarter'])),
                    *(f"{float(r[c]):.{d}f}" for c, d in COLUMNS.items())])
    return buf.getvalue()

def main():
    src = source_file()
    text = excerpt(src)
    OUT.write_bytes(text.encode())
    n = text.count('\n') - 1
    data = OUT.read_bytes()
    entry = dict(file='text/us_macro_quarterly.csv',
                 source=f'PyPI statsmodels wheel ({SRC}; FRED, Federal Reserve Bank of St. Louis, and '
                        'BLS unemployment rate, accessed by statsmodels on 2009-12-15)',
                 version=md.version('statsmodels'),
                 licence=f'public domain (US government data; the dataset says: "{licence_text()}"); '
                         'statsmodels itself is BSD-3-Clause',
                 how=f'year, quarter and {", ".join(COLUMNS)} of all {n} quarters (1959 Q1 - 2009 Q3), '
                     'values as in the source (realgdp: billions of chained 2005 dollars; cpi: 1982-84 = 100; '
                     'unemp: percent; infl: annualised quarterly log change of the CPI, percent, 0 in 1959 Q1); '
                     'written by data_samples/build_macro.py',
                 bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    mf = HERE/'text'/'manifest.json'
    m = json.loads(mf.read_text())
    m['files'] = [e for e in m['files'] if e['file'] != entry['file']] + [entry]
    mf.write_text(json.dumps(m, indent=1) + '\n')
    print(f"wrote {OUT} ({len(data)} bytes, {n} rows) and its entry in {mf}")

if __name__ == '__main__': main()
