"""Rebuild data_samples/speech/ from installed Debian packages (build time only, never at run time).

    python data_samples/build_speech.py

Needs the Debian packages pocketsphinx-testdata, espeak-ng and sox, `apt-get download` access for
sound-theme-freedesktop (it is only unpacked into a temp folder), soundfile, and the shipped
data_samples/text/sotu_sentences.json.gz (the sentences the voices read).

Files written (all mono, 16 kHz):
  pocketsphinx.flac + pocketsphinx.json   5 LibriVox clips + 5 "cards" clips with transcripts (lossless FLAC)
  voices_vNN.ogg (one per voice) + voices.json   espeak-ng speech, Opus in Ogg (lossy, see below)
  nonspeech.flac + nonspeech.json        freedesktop sound-theme sounds with a category each (lossless FLAC)
Clips of one kind are concatenated into one file with 0.1 s of silence between them; the json
index gives each clip's first sample and length.

Why Opus for the synthetic voices: 16.6 minutes of speech as 16 kHz FLAC is ~18 MB and as 8 kHz FLAC
~10 MB (FLAC saves only ~40% on espeak-ng's output), far over the ~4.5 MB budget for speech. Opus at
libsndfile's compression_level 0.9 (~30 kbit/s) takes ~3.7 kB per second of speech and changes a
40-band log-mel by ~0.2 nats on average (measured at build time and written to voices.json).
"""
from __future__ import annotations
import gzip, hashlib, json, re, subprocess, sys, tempfile
from pathlib import Path
import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE/'speech'
SR = 16000
GAP = SR // 10                      # silence between concatenated clips, so codec frames never mix two clips
PS = Path('/usr/share/pocketsphinx/test/data')
OPUS_LEVEL = 0.9

# voice id -> (espeak-ng voice[+variant], words per minute, pitch 0-99): 6 accents x variants, speeds and pitches
VOICES = {
    'v00': ('en-us', 175, 50), 'v01': ('en-us+f2', 160, 65), 'v02': ('en', 170, 45), 'v03': ('en+f4', 150, 60),
    'v04': ('en-gb-scotland+m3', 165, 40), 'v05': ('en-029+m2', 180, 50), 'v06': ('en-gb-x-rp+f3', 155, 70),
    'v07': ('en-gb-x-gbclan+klatt', 170, 50), 'v08': ('en-us-nyc+m7', 185, 35), 'v09': ('en-gb-x-gbcwmd+f1', 160, 55),
    'v10': ('en-us+klatt4', 145, 30), 'v11': ('en-029+f5', 170, 60),
}
N_SENTENCES = 48
PER_SENTENCE = 6                    # sentence s is read by voices s, s+1, ..., s+5 (mod 12): every voice reads 24

# (file in sound-theme-freedesktop's stereo/ folder, category, licence per the package's debian/copyright)
NONSPEECH = [
    ('bell.oga', 'bell', 'CC-BY-3.0'), ('complete.oga', 'chime', 'CC-BY-3.0'),
    ('message-new-instant.oga', 'chime', 'GPL-2.0-or-later'), ('device-added.oga', 'chime', 'CC-BY-SA-3.0'),
    ('trash-empty.oga', 'mechanical', 'CC-BY-3.0'), ('camera-shutter.oga', 'mechanical', 'CC-BY-SA-3.0'),
    ('alarm-clock-elapsed.oga', 'alarm', 'CC-BY-SA-3.0'), ('phone-incoming-call.oga', 'telephone', 'GPL-2.0-or-later'),
    ('phone-outgoing-busy.oga', 'telephone', 'GPL-2.0-or-later'), ('audio-test-signal.oga', 'noise', 'GPL-2.0-or-later'),
]

def sha256(p: Path) -> str: return hashlib.sha256(p.read_bytes()).hexdigest()

def dpkg_version(pkg: str) -> str:
    return subprocess.run(['dpkg-query', '-W', '-f=${Version}', pkg], capture_output=True, text=True, check=True).stdout

def to_16k(src: Path, tmp: Path) -> np.ndarray:
    "Any file sox reads -> int16 mono 16 kHz; `-R` keeps sox's dither off, so the bytes are the same every run."
    import soundfile as sf
    dst = tmp/'resampled.wav'
    subprocess.run(['sox', '-V1', '-R', str(src), '-c', '1', '-r', str(SR), '-b', '16', str(dst)], check=True)
    return sf.read(dst, dtype='int16')[0]

def concat(clips: list[np.ndarray]) -> tuple[np.ndarray, list[int]]:
    "Clips joined with GAP zeros before each; returns the signal and each clip's first sample."
    starts, parts, pos = [], [], 0
    for c in clips:
        parts += [np.zeros(GAP, np.int16), c]; starts.append(pos + GAP); pos += GAP + len(c)
    return np.concatenate(parts + [np.zeros(GAP, np.int16)]), starts

def _ogg_crc(data: bytes) -> int:
    "CRC-32 of Ogg pages: polynomial 0x04c11db7, not reflected, initial value 0, no final xor."
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8): crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc

def fix_ogg_serial(p: Path, serial: int):
    "libsndfile gives each Ogg stream a random serial number; set a fixed one (and each page's CRC) so rebuilds are byte-identical."
    b, out, i = p.read_bytes(), bytearray(), 0
    while i < len(b):
        if b[i:i + 4] != b'OggS': raise ValueError(f'{p}: no Ogg page at byte {i}')
        nseg = b[i + 26]
        end = i + 27 + nseg + sum(b[i + 27:i + 27 + nseg])
        page = bytearray(b[i:end])
        page[14:18] = serial.to_bytes(4, 'little'); page[22:26] = bytes(4)
        page[22:26] = _ogg_crc(bytes(page)).to_bytes(4, 'little')
        out += page; i = end
    p.write_bytes(bytes(out))

def write_json(p: Path, obj): p.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + '\n')

# ---------------------------------------------------------------- pocketsphinx recordings
def _transcripts(path: Path) -> dict:
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r'\s*<s>(.*)</s>\s*\((.+)\)\s*$', line)
        if m: out[m.group(2)] = ' '.join(m.group(1).split())
    return out

def build_pocketsphinx(tmp: Path) -> list[dict]:
    import soundfile as sf
    recs, clips = [], []
    for corpus, folder, tfile in [('librivox', PS/'librivox', 'transcription'), ('cards', PS/'cards', 'cards.transcription')]:
        tr = _transcripts(folder/tfile)
        for uid in sorted(tr):
            clips.append(to_16k(folder/f'{uid}.wav', tmp)); recs.append(dict(id=uid, corpus=corpus, transcript=tr[uid]))
    sig, starts = concat(clips)
    for r, s, c in zip(recs, starts, clips): r.update(start=s, length=len(c))
    sf.write(OUT/'pocketsphinx.flac', sig, SR, format='FLAC', subtype='PCM_16')
    write_json(OUT/'pocketsphinx.json', dict(sr=SR, clips=recs))
    v = dpkg_version('pocketsphinx-testdata')
    how = ('test/data/librivox/*.wav (5 LibriVox "Sense and Sensibility" clips) and test/data/cards/*.wav (5 clips), '
           'already 16 kHz mono, joined with 0.1 s of silence, FLAC 16-bit')
    return [dict(name='pocketsphinx.flac', source='Debian pocketsphinx-testdata', version=v, licence='BSD-2-Clause', how=how),
            dict(name='pocketsphinx.json', source='Debian pocketsphinx-testdata', version=v, licence='BSD-2-Clause',
                 how='transcripts from librivox/transcription and cards/cards.transcription; start and length of each clip')]

# ---------------------------------------------------------------- espeak-ng voices
def pick_sentences() -> list[str]:
    "48 short (6-14 words), digit-free sentences from the 1990-2021 addresses, evenly spaced through the list."
    d = json.loads(gzip.open(HERE/'text'/'sotu_sentences.json.gz').read())
    A, seen, cands = d['addresses'], set(), []
    for a, s in d['sentences']:
        ok = A[a]['year'] >= 1990 and 6 <= len(s.split()) <= 14 and re.fullmatch(r"[A-Za-z ,.'?!;-]+", s)
        if ok and s.lower() not in seen: seen.add(s.lower()); cands.append(s)
    step = len(cands) / N_SENTENCES
    return [cands[int(i * step)] for i in range(N_SENTENCES)]

def speak(text: str, voice: str, wpm: int, pitch: int, tmp: Path) -> np.ndarray:
    wav = tmp/'espeak.wav'
    r = subprocess.run(['espeak-ng', '-v', voice, '-s', str(wpm), '-p', str(pitch), '-w', str(wav), text], capture_output=True, text=True)
    if r.returncode or r.stderr.strip(): raise RuntimeError(f'espeak-ng -v {voice} failed: {r.stderr}')
    return to_16k(wav, tmp)

def words_of(text: str) -> list[str]: return re.findall(r"[A-Za-z']+(?:-[A-Za-z']+)*", text)

def build_voices(tmp: Path) -> list[dict]:
    import soundfile as sf, librosa
    sents, vids = pick_sentences(), list(VOICES)
    utts, files, drift = [], [], []
    for vi, vid in enumerate(vids):
        mine = [s for s in range(N_SENTENCES) if (vi - s) % len(vids) < PER_SENTENCE]
        clips = [speak(sents[s], *VOICES[vid], tmp) for s in mine]
        sig, starts = concat(clips)
        name = f'voices_{vid}.ogg'
        sf.write(OUT/name, sig, SR, format='OGG', subtype='OPUS', compression_level=OPUS_LEVEL)
        fix_ogg_serial(OUT/name, 1000 + vi)
        back = sf.read(OUT/name, dtype='float32')[0]
        x = sig.astype(np.float32) / 32768
        mel = lambda w: np.log(librosa.feature.melspectrogram(y=w, sr=SR, n_fft=400, hop_length=160, n_mels=40) + 1e-6)
        drift.append(float(np.abs(mel(x) - mel(back[:len(x)])).mean()))
        for s, st, c in zip(mine, starts, clips):
            utts.append(dict(voice=vid, sentence=s, start=st, length=len(c)))
        files.append(name)
    espeak = dpkg_version('espeak-ng')
    write_json(OUT/'voices.json', dict(
        sr=SR, espeak_ng=espeak, codec=f'Opus in Ogg via libsndfile, compression_level {OPUS_LEVEL}',
        logmel_change_nats=round(float(np.mean(drift)), 4),
        voices={v: dict(espeak_voice=a, wpm=b, pitch=c, file=f'voices_{v}.ogg') for v, (a, b, c) in VOICES.items()},
        sentences=[dict(id=i, text=s, words=words_of(s)) for i, s in enumerate(sents)], utterances=utts))
    how = (f'espeak-ng -v VOICE -s WPM -p PITCH -w (22.05 kHz) reading {N_SENTENCES} sentences from text/sotu_sentences.json.gz '
           f'(1990-2021, 6-14 words, no digits); each sentence by {PER_SENTENCE} of {len(vids)} voices; sox -R to 16 kHz; '
           f'one file per voice, clips joined with 0.1 s of silence; Opus (libsndfile compression_level {OPUS_LEVEL})')
    out = [dict(name=f, source='Debian espeak-ng (synthesised here)', version=espeak, licence='PDDL-1.0 (text); synthesised output',
                how=how) for f in files]
    return out + [dict(name='voices.json', source='Debian espeak-ng (synthesised here)', version=espeak,
                       licence='PDDL-1.0 AND CC0-1.0 (sentences)', how='voices, sentences with words, start and length of every utterance')]

# ---------------------------------------------------------------- non-speech sounds
def build_nonspeech(tmp: Path) -> list[dict]:
    import soundfile as sf
    deb_dir = tmp/'deb'; deb_dir.mkdir()
    subprocess.run(['apt-get', 'download', 'sound-theme-freedesktop'], cwd=deb_dir, check=True, capture_output=True)
    deb = next(deb_dir.glob('*.deb'))
    subprocess.run(['dpkg-deb', '-x', str(deb), str(deb_dir/'x')], check=True)
    version = deb.name.split('_')[1]
    stereo = deb_dir/'x/usr/share/sounds/freedesktop/stereo'
    clips = [to_16k(stereo/f, tmp) for f, _, _ in NONSPEECH]
    sig, starts = concat(clips)
    sf.write(OUT/'nonspeech.flac', sig, SR, format='FLAC', subtype='PCM_16')
    recs = [dict(id=f.removesuffix('.oga'), category=c, licence=l, start=s, length=len(x))
            for (f, c, l), s, x in zip(NONSPEECH, starts, clips)]
    write_json(OUT/'nonspeech.json', dict(sr=SR, clips=recs))
    lic = ' AND '.join(sorted({l for _, _, l in NONSPEECH}))
    how = (f'{len(NONSPEECH)} sounds of usr/share/sounds/freedesktop/stereo (licence per file in nonspeech.json, from the '
           'package copyright), sox -R to 16 kHz mono, joined with 0.1 s of silence, FLAC 16-bit')
    return [dict(name='nonspeech.flac', source='Debian sound-theme-freedesktop', version=version, licence=lic, how=how),
            dict(name='nonspeech.json', source='Debian sound-theme-freedesktop', version=version, licence=lic,
                 how='category, licence, start and length of each sound')]

def main():
    OUT.mkdir(exist_ok=True)
    for f in OUT.iterdir(): f.unlink()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        entries = build_pocketsphinx(tmp) + build_voices(tmp) + build_nonspeech(tmp)
    files = []
    for e in entries:
        p = OUT/e.pop('name')
        if p.stat().st_size > 2_000_000: raise RuntimeError(f'{p} is {p.stat().st_size} bytes; every sample file must stay under 2 MB')
        files.append(dict(file=f'speech/{p.name}', **e, bytes=p.stat().st_size, sha256=sha256(p)))
    write_json(OUT/'manifest.json', dict(modality='speech', files=files))
    total = sum(f['bytes'] for f in files)
    print(f'speech: {len(files)} files, {total/1e6:.2f} MB')

if __name__ == '__main__':
    sys.exit(main())
