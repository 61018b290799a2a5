"""mpkit.audio: the samples load with their labels and splits, and the hand-built features match librosa.

Tolerances (float32 torch vs librosa's float32/float64 numpy, same parameters):
mel filterbank max abs diff < 1e-6; power spectrogram median relative diff < 1e-3 (bins above 1e-6
of the maximum); log-mel within 1e-3 nats (0.1% in power) in bins above 1e-8 (80 dB below) of the clip's maximum
mel power and within 1e-6 of that maximum in power everywhere; MFCC within 0.01 dB; deltas within
1e-4 of librosa.feature.delta(width=5, mode='nearest') on the same MFCCs; YIN f0 on our voiced frames of
real speech: median relative diff to librosa.yin < 0.5% and within 5% on >= 97% of them (measured: 0.1-0.24%
median, 98-100% within 5%, 83-97% within 1% over 10 clips).
"""
import json, hashlib
import numpy as np
import pytest
import torch

librosa = pytest.importorskip('librosa')
import mpkit.audio as A
from mpkit.data import data_dir

SR = 16000

@pytest.fixture(scope='module')
def speech():
    return A.load_librivox()[0]['wave']

def test_librivox_records():
    recs = A.load_librivox()
    assert len(recs) == 5
    for r in recs:
        assert r['wave'].dtype == np.float32 and r['wave'].ndim == 1 and r['sr'] == SR
        assert r['transcript'] and r['id'].startswith('sense_and_sensibility')
        assert 0.01 < np.abs(r['wave']).max() <= 1.0
    assert abs(sum(len(r['wave']) for r in recs) / SR - 24.73) < 0.01

def test_voices_design_and_splits():
    v = A.load_voices()
    assert len(v) == 288 and sum(len(r['wave']) for r in v) / SR / 60 > 10
    by_sent = {}
    for r in v: by_sent.setdefault(r['sentence_id'], set()).add(r['speaker'])
    assert len(by_sent) == 48 and all(len(s) == 6 for s in by_sent.values())
    assert len({r['speaker'] for r in v}) == 12
    assert all(r['words'] and r['words'][0].lower() in r['text'].lower() for r in v)
    tr, va, te = (A.load_voices(s) for s in ('train', 'valid', 'test'))
    spk = lambda rs: {r['speaker'] for r in rs}
    assert spk(te) == set(A.VOICE_SPLITS['test']) and spk(va) == set(A.VOICE_SPLITS['valid'])
    assert not spk(tr) & (spk(va) | spk(te)) and len(tr) + len(va) + len(te) == 288
    assert {r['sentence_id'] for r in te} <= {r['sentence_id'] for r in tr}
    st, ss = A.load_voices('train', holdout='sentences'), A.load_voices('test', holdout='sentences')
    assert not {r['sentence_id'] for r in st} & {r['sentence_id'] for r in ss} and spk(ss) == spk(st)

def test_voices_are_distinct_and_nonsilent():
    "The same sentence in two voices differs in length or content; every utterance has speech energy."
    v = [r for r in A.load_voices() if r['sentence_id'] == 0]
    lens = {len(r['wave']) for r in v}
    assert len(lens) >= 4
    assert all(np.sqrt((r['wave'] ** 2).mean()) > 0.01 for r in A.load_voices('test'))

def test_nonspeech():
    ns = A.load_nonspeech()
    assert len(ns) == 10 and {'bell', 'chime', 'mechanical', 'alarm', 'telephone', 'noise'} == {r['category'] for r in ns}
    assert all(r['licence'] for r in ns)

def test_manifest_matches_files():
    d = data_dir()
    m = json.loads((d / 'speech' / 'manifest.json').read_text())
    listed = {e['file'] for e in m['files']}
    on_disk = {f'speech/{p.name}' for p in (d / 'speech').iterdir() if p.name != 'manifest.json'}
    assert listed == on_disk
    for e in m['files']:
        b = (d / e['file']).read_bytes()
        assert len(b) == e['bytes'] < 2_000_000 and hashlib.sha256(b).hexdigest() == e['sha256']
        assert e['licence'] and e['source'] and e['how']
    assert sum(e['bytes'] for e in m['files']) < 4_500_000

def test_audio_loaders():
    for name, f in A.AUDIO_LOADERS.items():
        s = f()
        assert 'clips' in s and 'Hz' in s, name

def test_mel_filterbank_matches_librosa():
    for n_fft, n_mels, fmin, fmax in [(400, 40, 0.0, None), (400, 80, 0.0, None), (512, 64, 20.0, 7600.0), (2048, 128, 0.0, 11025.0)]:
        sr = 22050 if n_fft == 2048 else SR
        ours = A.mel_filterbank(n_fft, n_mels, sr, fmin, fmax).numpy()
        ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
        assert ours.shape == ref.shape
        assert np.abs(ours - ref).max() < 1e-6

def test_power_spectrogram_matches_librosa(speech):
    ours = A.power_spectrogram(speech).numpy()
    ref = np.abs(librosa.stft(speech, n_fft=400, hop_length=160, window='hann', center=True, pad_mode='constant')) ** 2
    assert ours.shape == ref.T.shape
    big = ref.T > 1e-6 * ref.max()
    assert np.abs(ours - ref.T)[big].max() / ref.max() < 1e-5
    assert np.median(np.abs(ours - ref.T)[big] / ref.T[big]) < 1e-3

@pytest.mark.parametrize('n_mels', [40, 80])
def test_log_mel_matches_librosa(speech, n_mels):
    ours = A.log_mel(speech, SR, n_mels=n_mels).numpy()
    ref = librosa.feature.melspectrogram(y=speech, sr=SR, n_fft=400, hop_length=160, n_mels=n_mels, center=True, pad_mode='constant', power=2.0)
    assert ours.shape == ref.T.shape == (1 + len(speech) // 160, n_mels)
    big = ref.T > 1e-8 * ref.max()                     # 80 dB down; below that, float32 sums of tiny powers decide the last digits
    assert big.mean() > 0.85
    assert np.abs(ours - np.log(np.maximum(ref.T, 1e-10)))[big].max() < 1e-3
    assert np.abs(np.exp(ours) - np.maximum(ref.T, 1e-10)).max() < 1e-6 * ref.max()

def test_mfcc_and_deltas_match_librosa(speech):
    ours = A.mfcc(speech, SR, n_mfcc=13, n_mels=40).numpy()
    mel = librosa.feature.melspectrogram(y=speech, sr=SR, n_fft=400, hop_length=160, n_mels=40, center=True, pad_mode='constant')
    ref = librosa.feature.mfcc(S=librosa.power_to_db(mel, amin=1e-10, top_db=None), n_mfcc=13, dct_type=2, norm='ortho').T
    assert ours.shape == (ref.shape[0], 39)
    assert np.abs(ours[:, :13] - ref).max() < 0.01
    d = librosa.feature.delta(ref.T, width=5, order=1, mode='nearest').T
    dd = librosa.feature.delta(d.T, width=5, order=1, mode='nearest').T
    c = torch.from_numpy(ref.astype(np.float32))
    assert np.abs(A.delta_features(c).numpy() - d).max() < 1e-4
    assert np.abs(ours[:, 13:26] - d).max() < 0.01 and np.abs(ours[:, 26:] - dd).max() < 0.01
    assert A.mfcc(speech, SR, deltas=False).shape == (ref.shape[0], 13)

def test_pitch_matches_librosa_yin(speech):
    pe = A.pitch_energy(speech, SR).numpy()
    ref = librosa.yin(speech, fmin=60, fmax=400, sr=SR, frame_length=800, hop_length=160, trough_threshold=0.1, center=True, pad_mode='constant')
    assert pe.shape == (len(ref), 3)
    v = pe[:, 2] > 0
    assert 0.3 < v.mean() < 0.9
    rel = np.abs(pe[v, 1] - ref[v]) / ref[v]
    assert np.median(rel) < 0.005 and (rel < 0.05).mean() >= 0.97
    assert np.all(pe[~v, 1] == 0)
    energy = 10 * np.log10(librosa.feature.rms(y=speech, frame_length=800, hop_length=160, center=True, pad_mode='constant')[0] ** 2 + 1e-10)
    assert np.abs(pe[:, 0] - energy).max() < 1e-3

def test_pure_tone_pitch():
    for f in (100.0, 220.0, 350.0):
        x = 0.3 * np.sin(2 * np.pi * f * np.arange(SR // 2) / SR).astype(np.float32)
        pe = A.pitch_energy(x, SR)[5:-5]
        assert pe[:, 2].all() and (pe[:, 1] - f).abs().max() < 0.01 * f

def test_batched_equals_single(speech):
    x = torch.from_numpy(speech[:16000])
    b = torch.stack([x, x.flip(0)])
    for fn in (lambda w: A.log_mel(w, SR), lambda w: A.mfcc(w, SR), lambda w: A.pitch_energy(w, SR)):
        out = fn(b)
        assert torch.allclose(out[0], fn(x), atol=1e-4) and torch.allclose(out[1], fn(x.flip(0)), atol=1e-4)

@pytest.mark.parametrize('bad, msg', [
    (torch.zeros(0), 'empty'), (torch.zeros(2, 0), 'empty'), (torch.zeros(2, 2, 400), 'expected (T,) or (B, T)'),
    (torch.zeros(400, dtype=torch.int16), 'expected a float waveform'), (np.zeros(400, dtype=np.int32), 'expected a float waveform')])
def test_bad_waveforms(bad, msg):
    for fn in (lambda w: A.power_spectrogram(w), lambda w: A.log_mel(w, SR), lambda w: A.mfcc(w, SR), lambda w: A.pitch_energy(w, SR)):
        with pytest.raises(ValueError, match=msg.replace('(', r'\(').replace(')', r'\)')): fn(bad)

def test_bad_parameters(speech):
    with pytest.raises(ValueError, match='positive integer'): A.log_mel(speech, 16000.5)
    with pytest.raises(ValueError, match='sr/2'): A.mel_filterbank(400, 40, SR, fmax=8001)
    with pytest.raises(ValueError, match='n_mfcc'): A.mfcc(speech, SR, n_mfcc=0)
    with pytest.raises(ValueError, match='odd integer'): A.delta_features(torch.zeros(10, 3), width=4)
    with pytest.raises(ValueError, match='frame >='): A.pitch_energy(speech, SR, fmin=20)
    with pytest.raises(ValueError, match='does not match'): A.check_rate(A.load_librivox()[0], 8000)
    with pytest.raises(ValueError, match="expected one of"): A.load_voices(holdout='speakers')
    with pytest.raises(ValueError, match="expected one of"): A.load_pocketsphinx('tidigits')

def test_tampered_sample_is_refused(tmp_path, monkeypatch):
    import shutil
    src = data_dir()
    dst = tmp_path / 'ds'
    shutil.copytree(src / 'speech', dst / 'speech')
    p = dst / 'speech' / 'nonspeech.json'
    p.write_text(p.read_text().replace('"bell"', '"bells"', 1))
    monkeypatch.setenv('MPKIT_DATA_PATH', str(dst))
    A._read_audio.cache_clear()
    with pytest.raises(ValueError, match='corrupted'): A.load_nonspeech()
