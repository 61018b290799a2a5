"""Rebuild data_samples/text/dialect_substitutions.json from the breame word lists (build time only).

    python data_samples/build_dialect.py [--breame DIR]

DIR is the `breame` package folder of breame 0.1.2 (PyPI sdist or wheel, Apache-2.0, by Charles Pierse),
the one that holds data/spelling_constants.py; without --breame the installed package is used. The
constants files are read with `ast.literal_eval` (breame is never imported, and the notebooks never
need it). What is kept, as word pairs only (no definitions):

- spelling: American -> British pairs that breame's two spelling dicts give in both directions
  (BRITISH_ENGLISH_SPELLINGS[b] == a and AMERICAN_ENGLISH_SPELLINGS[a] == b), whose American form occurs
  in the shipped State of the Union sentences, minus EXCLUDED (pairs whose British form depends on the
  sense or part of speech, or is archaic);
- lexical: single-word pairs that breame's two glossaries agree on: the British-only term b is glossed
  "(US: a)" in BRITISH_ENGLISH_ONLY_TERMS and the American-only term a is glossed "(UK: b)" in
  AMERICAN_ENGLISH_ONLY_TERMS, again with a in the SOTU sentences.

The pairs are checked to be a bijection (no word on both sides, no word twice). Then the file's entry is
added to (or replaced in) data_samples/text/manifest.json; the manifest is re-read right before the
write and replaced atomically, so entries written meanwhile by other build scripts are kept.
`python data_samples/build.py --sources-only` recomposes SOURCES.md.

Note: `build.py --only text` empties data_samples/text/ first, so run this script after it.
"""
from __future__ import annotations
import argparse, ast, gzip, hashlib, importlib.util, json, os, re
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE/'text'/'dialect_substitutions.json'
VERSION = '0.1.2'
# American -> British pairs of breame left out, and why (the substitution is applied without looking at context)
EXCLUDED = {
    'practice': 'British English spells the noun practice and only the verb practise',
    'practices': 'British English spells the noun practices and only the verb practises',
    'license': 'British English spells the noun licence and keeps the verb license',
    'licensed': 'a verb form: British English spells it licensed too',
    'licenses': 'the verb form stays licenses in British English',
    'licensing': 'a verb form: British English spells it licensing too',
    'draft': 'British English keeps draft for a plan or document and conscription; draught is a current of air',
    'drafted': 'British English keeps drafted for documents and conscription',
    'drafting': 'British English keeps drafting for documents',
    'drafts': 'British English keeps drafts for documents',
    'connection': 'connexion is archaic in British English',
    'connections': 'connexions is archaic in British English',
    'gage': 'gage and gauge are different words (a pledge, a measure)',
    'tranquility': 'breame gives two British forms (tranquillity, tranquilly)',
    'check': 'British cheque is only the bank order; check keeps its other senses',
    'checks': 'British cheques is only the bank orders; checks keeps its other senses',
    'tire': 'British tyre is only the wheel; tire (to weary) is spelled the same',
    'tires': 'British tyres is only the wheels; tires (wearies) is spelled the same',
    'curb': 'British kerb is only the pavement edge; curb (to restrain) is spelled the same',
    'curbs': 'British kerbs is only the pavement edges; curbs (restrains) is spelled the same',
    'meter': 'British metre is only the unit; a meter (a device) is spelled the same',
    'meters': 'British metres is only the unit; meters (devices) are spelled the same',
    'tons': 'a ton (2,000 or 2,240 pounds) is not a tonne (1,000 kg)',
    'story': 'British storey is only the floor of a building; story (a tale) is spelled the same',
    'stories': 'British storeys is only floors of a building; stories (tales) is spelled the same',
}
# kept on purpose: program(s) -> programme(s), since the SOTU's programs are government programmes, not software

def constants(folder: Path, module: str) -> dict:
    "The dict assignments of breame/data/<module>.py, by name, read without importing breame."
    tree = ast.parse((folder/'data'/f'{module}.py').read_text(encoding='utf-8'))
    return {n.targets[0].id: ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)}

def sotu_words() -> set[str]:
    "Lower-case words of all shipped SOTU sentences (both eras, all splits)."
    d = json.loads(gzip.decompress((HERE/'text'/'sotu_sentences.json.gz').read_bytes()))
    return {w for _, s in d['sentences'] for w in re.findall(r"[a-z]+", s.lower())}

def spelling_pairs(folder: Path, words: set[str]) -> list[tuple[str, str]]:
    "[american, british] pairs both spelling dicts agree on, American form in `words`, minus EXCLUDED."
    c = constants(folder, 'spelling_constants')
    b2a, a2b = c['BRITISH_ENGLISH_SPELLINGS'], c['AMERICAN_ENGLISH_SPELLINGS']
    keep = {(a, b) for b, a in b2a.items() if a2b.get(a) == b and a in words and a not in EXCLUDED}
    return sorted((a, b) for a, b in keep if re.fullmatch(r'[a-z]+', a) and re.fullmatch(r'[a-z]+', b))

def lexical_pairs(folder: Path, words: set[str]) -> list[tuple[str, str]]:
    "[american, british] single-word pairs that both glossaries give, American form in `words`."
    bt = constants(folder, 'british_terms_constants')['BRITISH_ENGLISH_ONLY_TERMS']
    at = constants(folder, 'american_terms_constants')['AMERICAN_ENGLISH_ONLY_TERMS']
    gloss = lambda text, tag: set(re.findall(tag + r":? ([a-z]+)[),;.]", text))
    pairs = {(a, b) for b, text in bt.items() for a in gloss(text, 'US') if b in gloss(at.get(a, ''), 'UK')}
    return sorted((a, b) for a, b in pairs if a in words and re.fullmatch(r'[a-z]+', b))

def check_bijection(pairs) -> None:
    "Refuse pairs in which a word appears twice or on both sides."
    us, uk = [a for a, _ in pairs], [b for _, b in pairs]
    if len(set(us)) != len(us) or len(set(uk)) != len(uk) or set(us) & set(uk):
        raise SystemExit(f"the pairs are not a bijection: {sorted(set(us) & set(uk))}")

def write_manifest_entry(entry: dict) -> Path:
    "Add or replace `entry` in text/manifest.json: re-read just before, written to a temporary file, renamed."
    mf = HERE/'text'/'manifest.json'
    m = json.loads(mf.read_text())
    m['files'] = [e for e in m['files'] if e['file'] != entry['file']] + [entry]
    tmp = mf.with_name(f'.manifest.{os.getpid()}.tmp')
    tmp.write_text(json.dumps(m, indent=1) + '\n')
    os.replace(tmp, mf)
    return mf

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--breame', type=Path, help="breame's package folder (holds data/); default: installed")
    args = ap.parse_args()
    folder = args.breame
    if folder is None:
        spec = importlib.util.find_spec('breame')
        if spec is None: raise SystemExit('breame is not installed; pass --breame DIR (the unpacked sdist)')
        folder = Path(spec.origin).parent
    words = sotu_words()
    spelling, lexical = spelling_pairs(folder, words), lexical_pairs(folder, words)
    check_bijection(spelling + lexical)
    data = dict(
        description='American -> British English word pairs, an excerpt of breame 0.1.2 (word pairs only, '
                    'no definitions): the pairs whose American form occurs in the shipped SOTU sentences',
        source=f'PyPI breame {VERSION} (https://github.com/cdpierse/breame), breame/data/spelling_constants.py '
               'and british_terms_constants.py / american_terms_constants.py',
        licence='Apache-2.0',
        notice='breame, Copyright Charles Pierse, licensed under the Apache License 2.0 '
               '(https://www.apache.org/licenses/LICENSE-2.0). breame says its constants are modified versions '
               'of those of the American British English Translator (hyperreality, jessp01), which took them from '
               'Wikipedia lists and from the tysto.com spelling list. This excerpt holds word pairs only and '
               'was selected by data_samples/build_dialect.py.',
        spelling=[list(p) for p in spelling],
        lexical=[list(p) for p in lexical],
        excluded=dict(sorted(EXCLUDED.items())))
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
    raw = OUT.read_bytes()
    entry = dict(file='text/dialect_substitutions.json',
                 source=f'PyPI breame {VERSION} (by Charles Pierse; breame/data/spelling_constants.py, '
                        'british_terms_constants.py, american_terms_constants.py)',
                 version=VERSION,
                 licence='Apache-2.0 (notice in the file; breame credits the American British English Translator, '
                         'Wikipedia lists and tysto.com as the origin of its lists)',
                 how=f'{len(spelling)} American -> British spelling pairs that both of breame\'s spelling dicts '
                     'give, American form in the SOTU sentences, minus context-dependent ones (listed in the file '
                     f'with the reason); {len(lexical)} single-word lexical pairs both glossaries agree on; '
                     'checked to be a bijection; written by data_samples/build_dialect.py',
                 bytes=len(raw), sha256=hashlib.sha256(raw).hexdigest())
    mf = write_manifest_entry(entry)
    print(f"wrote {OUT} ({len(raw)} bytes: {len(spelling)} spelling + {len(lexical)} lexical pairs) "
          f"and its entry in {mf}")

if __name__ == '__main__': main()
