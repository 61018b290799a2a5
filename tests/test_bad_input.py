"""Every public callable of the kit refuses bad input with an error raised inside mpkit.

`MODULES` maps a module to `{public name: [bad calls]}`. A bad call is a lambda that must raise a
`ValueError` whose message says what was `expected`, or `(lambda, exception type)` for the two other
errors of the kit: a missing file (`FileNotFoundError`) and an unknown registry key (`KeyError`).
Either way the raising frame (the last one of the traceback) must lie in the mpkit package, not in
torch, numpy or Python.

`EXEMPT` names what takes no input that can be bad, with the reason.
`test_every_public_name_is_covered` fails on a name of a module's `__all__` that is in neither:
a new public function comes with its bad calls. To cover another module (masking, targets, models,
train, probes, text, ...), add its `MODULES` and `EXEMPT` entries; both tests pick it up.
"""

import importlib, os, tempfile, types
from pathlib import Path
from unittest import mock
import numpy as np
import pytest
import torch

import mpkit
import networkx as nx
from mpkit import audio, checks, claims, config, data, explorers, graphs, losses, masking, models, papers
from mpkit import points, probes, results, targets, text, train
from mpkit import diffusion, multimodal, ssm

PACKAGE = Path(mpkit.__file__).resolve().parent


def raising_frame(exc: BaseException) -> str:
    "The file of the frame that raised `exc`: the last frame of its traceback."
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename


def raised_in_mpkit(exc: BaseException) -> bool:
    return Path(raising_frame(exc)).resolve().is_relative_to(PACKAGE)


def with_env(fn, **env):
    "A call of `fn()` with the environment variables `env` set."

    def call():
        with mock.patch.dict(os.environ, env):
            return fn()

    return call


def with_file(text: str, fn, name: str = 'file.txt'):
    "A call of `fn(path)` on a temporary file holding `text`."

    def call():
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / name
            p.write_text(text)
            return fn(p)

    return call


MISSING = Path(tempfile.gettempdir()) / 'mpkit-no-such-file' / 'nothing.here'
T = torch.zeros(2, 3, 4)
MASK = torch.ones(2, 3, dtype=torch.bool)
WAVE = torch.zeros(1600)
NAN_WAVE = torch.tensor([0.0, float('nan')] * 800)
IMG = explorers.Sample('image', np.zeros((8, 8)))
TEXT = explorers.Sample('text', ['a', 'b', 'c'])
ATTN = [torch.softmax(torch.rand(1, 2, 4, 4), -1)]
FAKE_MAE = types.SimpleNamespace(reconstruct=lambda *a, **k: None)
ROW = dict(
    paper='bert',
    metric='m',
    budget='quick',
    baseline_name='b',
    value=1.0,
    baseline=0.0,
    higher_is_better=True,
)
PAPER = papers.PAPERS['bert']

IDS = torch.tensor([[5, 6, 7], [8, 9, 5]])
IMGS = torch.rand(2, 1, 8, 8)
NAN_IMGS = torch.full((2, 1, 8, 8), float('nan'))
POINTS = torch.rand(8, 2)
CODEBOOK = targets.UnitCodebook(torch.rand(2, 2), torch.zeros(2), torch.ones(2))
Q = torch.rand(1, 2, 3, 4)
XYZ = torch.rand(1, 8, 3)
SEG = torch.zeros(2, 4, 4, dtype=torch.long)
SEQS = [[2, 5, 6, 7, 3], [2, 8, 9, 3]]
PATH = nx.path_graph(3)


def load_into(model):
    "load_checkpoint of a Linear(2, 2) into `model`."
    with tempfile.TemporaryDirectory() as d:
        path = train.save_checkpoint(torch.nn.Linear(2, 2), Path(d) / 'c.safetensors')
        return train.load_checkpoint(model, path)


CLAIM = claims.Claim('bert', 'the twist wins', 'accuracy', 'twist', 'plain', higher_is_better=True)


class _Encodes(torch.nn.Module):
    "A stand-in encoder with `encode(x) -> (B, 2)`."
    def encode(self, x): return x


def _tiny_text_model():
    return models.MaskedTokenModel(vocab_size=40, dim=8, depth=1, heads=2, max_len=16)


MODULES = {
    'config': {
        'as_settings': [lambda: config.as_settings('quick'), lambda: config.as_settings({'seed': 0})],
        'settings_file': [
            (with_env(config.settings_file, MPKIT_SETTINGS=str(MISSING)), FileNotFoundError)
        ],
        'get_settings': [
            lambda: config.get_settings(MISSING),
            lambda: config.get_settings(3),
            with_file('[other]\nseed = 1\n', config.get_settings, 'settings.ini'),
            with_env(config.get_settings, MPKIT_BUDGET='medium'),
            with_env(config.get_settings, MPKIT_SEED='-1'),
        ],
        'budget': [lambda: config.budget(1, 2, settings={'budget': 'quick'})],
        'is_quick': [lambda: config.is_quick('quick')],
        'get_device': [lambda: config.get_device(settings=3)],
        'setup': [
            lambda: config.setup(seed=-1),
            lambda: config.setup(seed=1.5),
            lambda: config.setup(settings='x'),
        ],
    },
    'checks': {
        'check_ratio': [
            lambda: checks.check_ratio('r', 1.5),
            lambda: checks.check_ratio('r', float('nan')),
            lambda: checks.check_ratio('r', 0, inclusive='right'),
            lambda: checks.check_ratio('r', 0.5, inclusive='x'),
        ],
        'check_positive': [
            lambda: checks.check_positive('n', 0),
            lambda: checks.check_positive('n', 2.0, integer=True),
            lambda: checks.check_positive('n', -1, allow_zero=True),
        ],
        'check_finite': [
            lambda: checks.check_finite('x', torch.tensor([float('inf')])),
            lambda: checks.check_finite('x', 'abc'),
            lambda: checks.check_finite('x', float('nan')),
        ],
        'check_mask': [
            lambda: checks.check_mask('m', MASK.long()),
            lambda: checks.check_mask('m', MASK, shape=(2, 4)),
            lambda: checks.check_mask('m', MASK, ndim=3),
        ],
        'check_ids': [
            lambda: checks.check_ids('ids', torch.rand(2, 3)),
            lambda: checks.check_ids('ids', torch.tensor([5]), vocab_size=5),
            lambda: checks.check_ids('ids', [1, 2]),
            lambda: checks.check_ids('ids', torch.tensor([1]), ndim=2),
        ],
        'check_images': [
            lambda: checks.check_images('x', torch.rand(8, 8)),
            lambda: checks.check_images('x', torch.rand(1, 3, 8, 8), channels=1),
            lambda: checks.check_images('x', torch.zeros(1, 1, 8, 8, dtype=torch.uint8)),
        ],
        'check_choice': [
            lambda: checks.check_choice('split', 'dev', ('train',)),
            lambda: checks.check_choice('split', None, ('train',)),
        ],
        'check_nonempty': [
            lambda: checks.check_nonempty('x', []),
            lambda: checks.check_nonempty('x', torch.zeros(0, 3)),
            lambda: checks.check_nonempty('x', 3),
        ],
        'document': [
            lambda: checks.document('mpkit'),
            lambda: checks.document({}, ['missing']),
        ],
    },
    'data': {
        'scenes': [
            lambda: data.scenes(0),
            lambda: data.scenes(2, objects=(3, 2)),
            lambda: data.scenes(2, canvas=10),
            lambda: data.scenes(2, rules=[(1, 1)]),
            lambda: data.scenes(2, rules=[(1, 2)], objects=(1, 3)),
            lambda: data.scenes(2, split='valid'),
        ],
        'compose_scenes': [
            lambda: data.compose_scenes(torch.rand(4, 8), torch.ones(4, dtype=torch.long), 2),
            lambda: data.compose_scenes(torch.full((4, 8, 8), float('nan')), torch.ones(4, dtype=torch.long), 2),
            lambda: data.compose_scenes(torch.rand(4, 8, 8), torch.ones(3, dtype=torch.long), 2),
            lambda: data.compose_scenes(torch.rand(4, 8, 8), torch.ones(4, dtype=torch.long), 0),
        ],
        'data_dir': [(with_env(data.data_dir, MPKIT_DATA_PATH=str(MISSING)), FileNotFoundError)],
        'sample_path': [
            lambda: data.sample_path('/etc/hostname'),
            lambda: data.sample_path('../pyproject.toml'),
            lambda: data.sample_path(3),
            (lambda: data.sample_path('text/nope.json'), FileNotFoundError),
        ],
        'manifest_entry': [
            lambda: data.manifest_entry(None),
            lambda: data.manifest_entry('text/nope.json'),
        ],
        'verify_sample': [
            lambda: data.verify_sample(''),
            (lambda: data.verify_sample('text/nope.json'), FileNotFoundError),
        ],
        'load_sotu': [lambda: data.load_sotu('dev'), lambda: data.load_sotu(era='new')],
        'CharTokenizer': [
            lambda: data.CharTokenizer([1, 2]),
            lambda: data.CharTokenizer(['ab']).decode([99]),
            lambda: data.CharTokenizer(['ab']).decode([1.5]),
            lambda: data.CharTokenizer(['ab']).decode(torch.zeros(2)),
            lambda: data.CharTokenizer(['ab']).encode(3),
        ],
        'moving_sprites': [
            lambda: data.moving_sprites(0),
            lambda: data.moving_sprites(2, size=64.5),
            lambda: data.moving_sprites(2, frames=30),
            lambda: data.moving_sprites(2, seed=-1),
        ],
        'epoch_frames': [
            lambda: data.epoch_frames(torch.zeros(2, 3, 4)),
            lambda: data.epoch_frames([1.0, 2.0]),
            lambda: data.epoch_frames(torch.zeros(2, 30), frame=64),
            lambda: data.epoch_frames(torch.zeros(2, 30), frame=0),
        ],
        'sleep_eeg': [
            lambda: data.sleep_eeg(0),
            lambda: data.sleep_eeg(2, fs=100.5),
            lambda: data.sleep_eeg(2, fs=10),
            lambda: data.sleep_eeg(2, seed='x'),
        ],
        'primitive_shapes': [
            lambda: data.primitive_shapes(-1),
            lambda: data.primitive_shapes(2, points=0),
        ],
        'load_graph': [lambda: data.load_graph('cora')],
        'load_molecules': [lambda: data.load_molecules(0), lambda: data.load_molecules(10**7)],
        'load_proteins': [lambda: data.load_proteins(0), lambda: data.load_proteins(10**7)],
        'load_table': [lambda: data.load_table('titanic')],
        'simulate_league': [
            lambda: data.simulate_league(teams=1),
            lambda: data.simulate_league(players_per_team=13.5),
            lambda: data.simulate_league(players_per_team=11),
            lambda: data.simulate_league(seasons=0),
        ],
        'parse_bvh': [
            lambda: data.parse_bvh(3),
            lambda: data.parse_bvh('MOTION'),
            lambda: data.parse_bvh('HIERARCHY ROOT a {'),
            lambda: data.parse_bvh(
                'HIERARCHY ROOT a { OFFSET 0 0 0 CHANNELS 1 Xposition } '
                'MOTION Frames: 2 Frame Time: 0.1 1.0'
            ),
        ],
        'bvh_positions': [lambda: data.bvh_positions({}), lambda: data.bvh_positions('x')],
    },
    'audio': {
        'load_pocketsphinx': [lambda: audio.load_pocketsphinx('tidigits')],
        'load_voices': [
            lambda: audio.load_voices('dev'),
            lambda: audio.load_voices(holdout='speakers'),
        ],
        'power_spectrogram': [
            lambda: audio.power_spectrogram(NAN_WAVE),
            lambda: audio.power_spectrogram(WAVE, hop=0),
            lambda: audio.power_spectrogram(WAVE, n_fft=1),
            lambda: audio.power_spectrogram(['a']),
            lambda: audio.power_spectrogram(torch.zeros(0)),
        ],
        'hz_to_mel': [lambda: audio.hz_to_mel('440 Hz'), lambda: audio.hz_to_mel(float('nan'))],
        'mel_to_hz': [lambda: audio.mel_to_hz([float('inf')]), lambda: audio.mel_to_hz(None)],
        'mel_filterbank': [
            lambda: audio.mel_filterbank(400.5, 40, 16000),
            lambda: audio.mel_filterbank(400, 0, 16000),
            lambda: audio.mel_filterbank(400, 40, 16000, fmax=9000),
            lambda: audio.mel_filterbank(400, 40, 16000, fmin='x'),
        ],
        'log_mel': [
            lambda: audio.log_mel(WAVE, 0),
            lambda: audio.log_mel(WAVE, 16000, eps=0),
            lambda: audio.log_mel(NAN_WAVE, 16000),
        ],
        'dct_ortho': [
            lambda: audio.dct_ortho(0, 1),
            lambda: audio.dct_ortho(4, 5),
            lambda: audio.dct_ortho(4, 1.5),
        ],
        'delta_features': [
            lambda: audio.delta_features(torch.zeros(10)),
            lambda: audio.delta_features(np.zeros((4, 3))),
            lambda: audio.delta_features(torch.zeros(0, 3)),
            lambda: audio.delta_features(torch.zeros(4, 3), width=4),
            lambda: audio.delta_features(torch.zeros(4, 3), width=5.0),
        ],
        'mfcc': [
            lambda: audio.mfcc(WAVE, 16000, n_mfcc=0),
            lambda: audio.mfcc(WAVE, 16000, n_mfcc=50),
            lambda: audio.mfcc(WAVE, 16000, n_mels='40'),
        ],
        'yin_cmnd': [
            lambda: audio.yin_cmnd(np.zeros((2, 8)), 3),
            lambda: audio.yin_cmnd(torch.zeros(2, 8), 8),
            lambda: audio.yin_cmnd(torch.zeros(2, 8), 0),
            lambda: audio.yin_cmnd(torch.zeros(2, 0), 1),
        ],
        'pitch_energy': [
            lambda: audio.pitch_energy(WAVE, 16000, hop=0),
            lambda: audio.pitch_energy(WAVE, 16000, fmin=float('nan')),
            lambda: audio.pitch_energy(WAVE, 16000, fmin=20),
            lambda: audio.pitch_energy(WAVE, 16000, threshold=0),
            lambda: audio.pitch_energy(NAN_WAVE, 16000),
        ],
        'check_rate': [
            lambda: audio.check_rate(dict(sr=16000), 8000),
            lambda: audio.check_rate('x', 16000),
            lambda: audio.check_rate({}, 16000),
            lambda: audio.check_rate(dict(sr=16000), 0),
        ],
    },
    'losses': {
        'masked_mse': [
            lambda: losses.masked_mse(T, T, MASK.long()),
            lambda: losses.masked_mse(T, T, MASK[:, :2]),
            lambda: losses.masked_mse(T, T[..., :2], MASK),
            lambda: losses.masked_mse(T, T, ~MASK),
        ],
        'masked_l1': [
            lambda: losses.masked_l1(T.long(), T, MASK),
            lambda: losses.masked_l1(torch.zeros(0, 3), torch.zeros(0, 3), MASK[:0]),
        ],
        'masked_cross_entropy': [
            lambda: losses.masked_cross_entropy(T, torch.full((2, 3), 4), MASK),
            lambda: losses.masked_cross_entropy(T, torch.zeros(2, 3), MASK),
            lambda: losses.masked_cross_entropy(T, torch.zeros(2, 2, dtype=torch.long), MASK),
            lambda: losses.masked_cross_entropy(T[0], torch.zeros(3, dtype=torch.long), MASK[0]),
        ],
        'info_nce': [
            lambda: losses.info_nce(T, T, MASK, temperature=0),
            lambda: losses.info_nce(T, T, MASK, num_negatives=0),
            lambda: losses.info_nce(T, T, torch.eye(3, dtype=torch.bool)[:2]),
            lambda: losses.info_nce(T, T, ~MASK),
        ],
        'codebook_diversity': [
            lambda: losses.codebook_diversity(torch.tensor([1, 0])),
            lambda: losses.codebook_diversity(torch.zeros(0)),
        ],
        'swapped_prediction': [
            lambda: losses.swapped_prediction(T[0], T[0], temperature=-1),
            lambda: losses.swapped_prediction(T[0][:0], T[0][:0]),
            lambda: losses.swapped_prediction(T, T),
            lambda: losses.swapped_prediction(T[0], T[0, :2]),
        ],
    },
    'explorers': {
        'max_size': [lambda: explorers.max_size('image'), lambda: explorers.max_size(explorers.Sample('image', np.zeros((4, 4))), cap=0)],
        'Sample': [
            lambda: explorers.Sample('sound', np.zeros(3)),
            lambda: explorers.Sample('image', np.zeros(28)),
            lambda: explorers.Sample('image', np.full((4, 4), np.nan)),
            lambda: explorers.Sample('text', 'a string'),
            lambda: explorers.Sample('text', 3),
        ],
        'mask_sample': [
            lambda: explorers.mask_sample(IMG, 'time'),
            lambda: explorers.mask_sample(IMG, 'random', ratio=1.5),
            lambda: explorers.mask_sample(IMG, 'random', size=0),
            lambda: explorers.mask_sample(IMG, 'random', seed=-1),
            lambda: explorers.mask_sample(np.zeros((8, 8)), 'random'),
        ],
        'draw_masked': [
            lambda: explorers.draw_masked('x', explorers.mask_sample(IMG, 'random')),
            lambda: explorers.draw_masked(TEXT, explorers.mask_sample(IMG, 'random')),
            lambda: explorers.draw_masked(IMG, None),
        ],
        'MaskExplorer': [
            lambda: explorers.MaskExplorer([np.zeros((8, 8))]),
            lambda: explorers.MaskExplorer([]),
            lambda: explorers.MaskExplorer(IMG, ratio=2.0),
            lambda: explorers.MaskExplorer(IMG, size=0),
        ],
        'attention_maps': [
            lambda: explorers.attention_maps(torch.rand(1, 2, 4, 5)),
            lambda: explorers.attention_maps([]),
            lambda: explorers.attention_maps(ATTN, batch=1),
            lambda: explorers.attention_maps(ATTN, batch='0'),
            lambda: explorers.attention_maps([torch.full((1, 1, 2, 2), float('nan'))]),
        ],
        'AttentionExplorer': [
            lambda: explorers.AttentionExplorer([torch.rand(2, 3, 4)]),
            lambda: explorers.AttentionExplorer(ATTN, tokens=['a']),
            lambda: explorers.AttentionExplorer(ATTN, image=np.zeros((4, 4)), grid=2),
            lambda: explorers.AttentionExplorer(ATTN, prefix=-1),
            lambda: explorers.AttentionExplorer(ATTN, tokens=list('abcd'), image=np.zeros((4, 4))),
        ],
        'cluster_units': [
            lambda: explorers.cluster_units(np.zeros(10), 2),
            lambda: explorers.cluster_units(np.zeros((4, 2)), 2, method='dbscan'),
            lambda: explorers.cluster_units(np.full((4, 2), np.nan), 2),
            lambda: explorers.cluster_units(np.zeros((4, 2)), 0),
            lambda: explorers.cluster_units(np.zeros((4, 2)), 5, method='sinkhorn'),
            lambda: explorers.cluster_units(np.zeros((0, 2)), 1),
        ],
        'cluster_scores': [
            lambda: explorers.cluster_scores([0, 1], [0, 1, 2]),
            lambda: explorers.cluster_scores([], []),
        ],
        'ClusterExplorer': [
            lambda: explorers.ClusterExplorer(np.zeros(10)),
            lambda: explorers.ClusterExplorer(np.zeros((1, 2))),
            lambda: explorers.ClusterExplorer(np.zeros((8, 2)), method='dbscan'),
            lambda: explorers.ClusterExplorer(np.zeros((8, 2)), labels=[0, 1]),
            lambda: explorers.ClusterExplorer(np.zeros((8, 2)), points=np.zeros((4, 3))),
            lambda: explorers.ClusterExplorer(
                np.zeros((8, 2)), images=np.zeros((1, 8, 8)), patch=3
            ),
        ],
        'ReconstructionExplorer': [
            lambda: explorers.ReconstructionExplorer(object(), torch.zeros(1, 1, 8, 8)),
            lambda: explorers.ReconstructionExplorer(FAKE_MAE, torch.zeros(8)),
            lambda: explorers.ReconstructionExplorer(
                FAKE_MAE, torch.full((1, 1, 8, 8), float('nan'))
            ),
            lambda: explorers.ReconstructionExplorer(FAKE_MAE, torch.zeros(1, 1, 8, 8), ratio=1.5),
            lambda: explorers.ReconstructionExplorer(FAKE_MAE, ['a']),
        ],
    },
    'claims': {
        'Claim': [
            lambda: claims.Claim('bert', '', 'm', 't', 'b', True),
            lambda: claims.Claim('bert', 's', 'm', 't', 'b', 'yes'),
            lambda: claims.Claim('bert', 's', 'm', 't', 'b', True, min_effect=-1.0),
            lambda: claims.Claim('bert', 's', 'm', 't', 'b', True, min_effect=float('nan')),
            (lambda: claims.Claim('nope', 's', 'm', 't', 'b', True), KeyError),
        ],
        'compare': [
            lambda: claims.compare('claim', {0: [1.0, 2.0]}, {0: [1.0, 2.0]}),
            lambda: claims.compare(CLAIM, {}, {}),
            lambda: claims.compare(CLAIM, [1.0, 2.0], [1.0, 2.0]),
            lambda: claims.compare(CLAIM, {0: [1.0, 2.0], 1: [1.0, 2.0]}, {0: [1.0, 2.0]}),
            lambda: claims.compare(CLAIM, {0: [1.0, 2.0]}, {0: [1.0, 2.0, 3.0]}),
            lambda: claims.compare(CLAIM, {0: [1.0]}, {0: [1.0]}),
            lambda: claims.compare(CLAIM, {0: [1.0, float('nan')]}, {0: [1.0, 2.0]}),
            lambda: claims.compare(CLAIM, {0: [1.0, 2.0]}, {0: [1.0, 2.0]}, level=0.0),
            lambda: claims.compare(CLAIM, {0: [1.0, 2.0]}, {0: [1.0, 2.0]}, level=1.5),
            lambda: claims.compare(CLAIM, {0: [1.0, 2.0]}, {0: [1.0, 2.0]}, n_boot=0),
            lambda: claims.compare(CLAIM, {0: [1.0, 2.0]}, {0: [1.0, 2.0]}, min_seeds=0),
            lambda: claims.compare(CLAIM, {0: [1.0, 2.0]}, {0: [1.0, 2.0]}, statistic=lambda v: float('inf')),
        ],
        'claim_row': [lambda: claims.claim_row({'verdict': 'reproduced'})],
        'record_claim': [lambda: claims.record_claim(None)],
        'claim_seeds': [lambda: claims.claim_seeds(0), lambda: claims.claim_seeds(2.5)],
        'claims_figure': [lambda: claims.claims_figure(3), lambda: claims.claims_figure([], budget='medium')],
    },
    'results': {
        'results_dir': [lambda: results.results_dir(settings='auto')],
        'load_results': [
            lambda: results.load_results(3),
            lambda: results.load_results(MISSING.parent.parent),
            with_file('{"a": 1}', results.load_results, 'results.json'),
            with_file('[{"paper": "bert"}]', results.load_results, 'results.json'),
            with_file('not json', results.load_results, 'results.json'),
        ],
        'beats': [lambda: results.beats({}), lambda: results.beats(None)],
        'record': [
            lambda: results.record(
                paper='bert', metric='m', value=float('nan'), baseline=0, higher_is_better=True
            ),
            lambda: results.record(
                paper='bert', metric='m', value=1, baseline=0, higher_is_better=True, claim={'verdict': 'x'}
            ),
            lambda: results.record(
                paper='bert', metric='m', value='high', baseline=0, higher_is_better=True
            ),
            lambda: results.record(
                paper='bert', metric='m', value=1, baseline=float('inf'), higher_is_better=True
            ),
            lambda: results.record(
                paper='bert', metric='', value=1, baseline=0, higher_is_better=True
            ),
            lambda: results.record(
                paper='bert',
                metric='m',
                value=1,
                baseline=0,
                higher_is_better=True,
                budget='medium',
            ),
            (
                lambda: results.record(
                    paper='nope', metric='m', value=1, baseline=0, higher_is_better=True
                ),
                KeyError,
            ),
        ],
        'check_results': [lambda: results.check_results([{}]), lambda: results.check_results(ROW)],
        'notebook_hash': [(lambda: results.notebook_hash('nope'), KeyError)],
        'core_hashes': [(lambda: results.core_hashes('nope'), KeyError),
                        lambda: results.core_hashes('bert', pkg_path=MISSING.parent)],
        'core_changes': [lambda: results.core_changes({}), lambda: results.core_changes(3)],
        'audit': [lambda: results.audit([3]), lambda: results.audit([], budget='medium')],
        'drop_older': [
            (lambda: results.drop_older('nope', budget='full', before='2026-01-01 00:00:00'), KeyError),
            lambda: results.drop_older('bert', budget='medium', before='2026-01-01 00:00:00'),
            lambda: results.drop_older('bert', budget='full', before='yesterday'),
        ],
        'recorded': [
            (lambda: results.recorded('nope'), KeyError),
            lambda: results.recorded('bert', budget='medium'),
            lambda: results.recorded('bert', rows=[3]),
        ],
        'results_table': [
            lambda: results.results_table([3]),
            lambda: results.results_table([dict(paper='bert')]),
        ],
        'update_readme': [
            (lambda: results.update_readme(MISSING, '<a>', '<b>', ''), FileNotFoundError),
            with_file('no markers', lambda p: results.update_readme(p, '<a>', '<b>', '')),
            with_file('<b> <a>', lambda p: results.update_readme(p, '<a>', '<b>', '')),
            with_file('<a> <b>', lambda p: results.update_readme(p, '', '<b>', '')),
            with_file('<a> <b>', lambda p: results.update_readme(p, '<a>', '<b>', None)),
        ],
    },
    'papers': {
        'Paper': [lambda: papers.Paper('x', 'X', 2020, 'text', 'mask', 'x.ipynb', status='done')],
        'get_paper': [(lambda: papers.get_paper('nope'), KeyError)],
        'resolve': [
            lambda: papers.resolve(''),
            lambda: papers.resolve('masking..random_mask'),
            lambda: papers.resolve(3),
        ],
        'check_paper': [
            lambda: papers.check_paper('bert'),
            lambda: papers.check_paper(PAPER, MISSING),
        ],
        'papers_table': [lambda: papers.papers_table('html')],
    },
    'masking': {
        'show_masks': [
            lambda: masking.show_masks(torch.zeros(3, 4)),
            lambda: masking.show_masks(torch.zeros(3, dtype=torch.bool)),
            lambda: masking.show_masks(MASK, titles=['a']),
        ],
        'random_mask': [lambda: masking.random_mask(0, 4), lambda: masking.random_mask(2, 4, 1.5)],
        'hidden_cmap': [lambda: masking.hidden_cmap('no such map'), lambda: masking.hidden_cmap(3)],
        'draw_units': [
            lambda: masking.draw_units(None, np.array([0.5, 1.0])),
            lambda: masking.draw_units(None, np.zeros(0, dtype=int)),
            lambda: masking.draw_units(None, np.array([0, 1]), hidden=np.array([True])),
        ],
        'gather_visible': [
            lambda: masking.gather_visible(T, torch.zeros(2, 2)),
            lambda: masking.gather_visible(T, torch.zeros(2, dtype=torch.long)),
            lambda: masking.gather_visible(T, torch.full((T.shape[0], 1), T.shape[1], dtype=torch.long)),
        ],
        'restore_order': [
            lambda: masking.restore_order(T, torch.zeros(3, dtype=torch.long)),
            lambda: masking.restore_order(T[:, :2], IDS),
            lambda: masking.restore_order(T, IDS - 1 - IDS.max()),
        ],
        'copy_nearest_visible': [
            lambda: masking.copy_nearest_visible(T, MASK.long()),
            lambda: masking.copy_nearest_visible(T, MASK),
            lambda: masking.copy_nearest_visible(T, ~MASK, grid=(2, 2)),
        ],
        'bernoulli_mask': [
            lambda: masking.bernoulli_mask((0, 3)),
            lambda: masking.bernoulli_mask((2, 3), p=1.5),
            lambda: masking.bernoulli_mask((2, 3), maskable=MASK.long()),
        ],
        'bert_corrupt': [
            lambda: masking.bert_corrupt(IDS.float(), mask_id=4, vocab_size=10),
            lambda: masking.bert_corrupt(IDS, mask_id=4, vocab_size=10, mask_prob=1.5),
            lambda: masking.bert_corrupt(IDS + 10, mask_id=4, vocab_size=10),
            lambda: masking.bert_corrupt(IDS[0], mask_id=4, vocab_size=10),
        ],
        'span_length_probs': [lambda: masking.span_length_probs(p=0), lambda: masking.span_length_probs(max_len=0)],
        'sample_span_lengths': [lambda: masking.sample_span_lengths((2, 3), p=1.5)],
        'span_mask': [lambda: masking.span_mask(0, 4), lambda: masking.span_mask(2, 4, 1.5)],
        'whole_word_mask': [
            lambda: masking.whole_word_mask(IDS.float()),
            lambda: masking.whole_word_mask(IDS - 8),
            lambda: masking.whole_word_mask(IDS, ratio=-0.1),
        ],
        'ngram_mask': [
            lambda: masking.ngram_mask(IDS.float(), [(1, 2)]),
            lambda: masking.ngram_mask(IDS, []),
            lambda: masking.ngram_mask(IDS, [(1, 2)], ratio=2),
        ],
        'block_mask': [
            lambda: masking.block_mask(0),
            lambda: masking.block_mask(2, ratio=1.5),
            lambda: masking.block_mask(2, min_block=0),
            lambda: masking.block_mask(2, max_block=-1),
            lambda: masking.block_mask(2, max_failures=0),
            lambda: masking.block_mask(2, aspect=(2.0, 1.0)),
        ],
        'simmim_mask': [
            lambda: masking.simmim_mask(0),
            lambda: masking.simmim_mask(2, mask_patch_size=0),
            lambda: masking.simmim_mask(2, ratio=1.5),
        ],
        'tube_mask': [lambda: masking.tube_mask(2, 0, 4, 4), lambda: masking.tube_mask(2, 2, 4, 4, 1.5)],
        'time_mask': [
            lambda: masking.time_mask(2, 10, width=0),
            lambda: masking.time_mask(2, 10, ratio=1.5),
            lambda: masking.time_mask(2, 10, num_masks=-1),
        ],
        'freq_mask': [
            lambda: masking.freq_mask(2, 0),
            lambda: masking.freq_mask(2, 10, width=-1),
            lambda: masking.freq_mask(2, 10, num_masks=-1),
        ],
        'time_freq_mask': [
            lambda: masking.time_freq_mask(MASK.long(), MASK),
            lambda: masking.time_freq_mask(MASK, MASK[:1]),
        ],
        'hubert_span_mask': [
            lambda: masking.hubert_span_mask(0, 4),
            lambda: masking.hubert_span_mask(2, 4, p=1.5),
            lambda: masking.hubert_span_mask(2, 4, span=0),
            lambda: masking.hubert_span_mask(2, 4, pad=MASK),
        ],
        'mask_schedule': [
            lambda: masking.mask_schedule(1.5),
            lambda: masking.mask_schedule(0.5, kind='step'),
            lambda: masking.mask_schedule(0.5, start=2.0),
        ],
        'remask_count': [lambda: masking.remask_count(0, 0, 4), lambda: masking.remask_count(5, 4, 4)],
        'mask_stats': [lambda: masking.mask_stats(MASK.long()), lambda: masking.mask_stats(MASK[0])],
    },
    'targets': {
        'patch_pixels': [
            lambda: targets.patch_pixels(torch.rand(8, 8), 4),
            lambda: targets.patch_pixels(IMGS, 0),
            lambda: targets.patch_pixels(NAN_IMGS, 4),
            lambda: targets.patch_pixels(IMGS, 4, eps=0),
        ],
        'assign': [
            lambda: targets.assign(torch.full((4, 2), float('nan')), POINTS[:2]),
            lambda: targets.assign(POINTS, torch.full((2, 2), float('inf'))),
            lambda: targets.assign(POINTS[:, 0], POINTS[:2]),
            lambda: targets.assign(POINTS, POINTS[:2], chunk=0),
        ],
        'kmeans_plusplus': [
            lambda: targets.kmeans_plusplus(POINTS, 0),
            lambda: targets.kmeans_plusplus(POINTS, 9),
            lambda: targets.kmeans_plusplus(POINTS[:, 0], 2),
            lambda: targets.kmeans_plusplus(torch.full((4, 2), float('nan')), 2),
        ],
        'kmeans': [
            lambda: targets.kmeans(POINTS, 0),
            lambda: targets.kmeans(torch.full((4, 2), float('nan')), 2),
            lambda: targets.kmeans(POINTS, 2, iters=0),
            lambda: targets.kmeans(POINTS, 2, chunk=0),
        ],
        'fit_units': [
            lambda: targets.fit_units([], 2),
            lambda: targets.fit_units([POINTS], 0),
            lambda: targets.fit_units([torch.full((4, 2), float('nan'))], 2),
        ],
        'label_frames': [
            lambda: targets.label_frames(torch.zeros(5), CODEBOOK),
            lambda: targets.label_frames(torch.full((4, 2), float('nan')), CODEBOOK),
        ],
        'sinkhorn': [
            lambda: targets.sinkhorn(torch.rand(3)),
            lambda: targets.sinkhorn(torch.rand(3, 2), eps=0),
            lambda: targets.sinkhorn(torch.full((3, 2), float('nan'))),
        ],
        'perplexity': [
            lambda: targets.perplexity([0.5, 0.5]),
            lambda: targets.perplexity(torch.zeros(0)),
            lambda: targets.perplexity(torch.ones(2, dtype=torch.long)),
        ],
        'VectorQuantizer': [
            lambda: targets.VectorQuantizer(0, 4),
            lambda: targets.VectorQuantizer(8, 4, gumbel=True, tau=0),
            lambda: targets.VectorQuantizer(8, 4)(torch.randn(2, 5)),
            lambda: targets.VectorQuantizer(8, 4)(torch.ones(2, 4, dtype=torch.long)),
        ],
        'RandomProjectionQuantizer': [
            lambda: targets.RandomProjectionQuantizer(torch.zeros(4), torch.randn(8, 2)),
            lambda: targets.RandomProjectionQuantizer(torch.randn(4, 2), torch.randn(8, 3)),
            lambda: targets.RandomProjectionQuantizer(torch.full((4, 2), float('nan')), torch.randn(8, 2)),
            lambda: targets.RandomProjectionQuantizer(torch.randn(4, 2), torch.randn(8, 2))(torch.randn(3, 5)),
        ],
        'random_projection_quantizer': [
            lambda: targets.random_projection_quantizer(0),
            lambda: targets.random_projection_quantizer(4, codebook_size=0),
        ],
    },
    'models': {
        'pad_sequences': [lambda: models.pad_sequences([])],
        'attend': [
            lambda: models.attend(Q[0], Q[0], Q[0]),
            lambda: models.attend(Q, Q[..., :2], Q[..., :2]),
        ],
        'SelfAttention': [
            lambda: models.SelfAttention(8, 0),
            lambda: models.SelfAttention(8, 3),
            lambda: models.SelfAttention(8, 2, dropout=1.0),
            lambda: models.SelfAttention(8, 2)(torch.zeros(3, 8)),
        ],
        'CrossAttention': [
            lambda: models.CrossAttention(0, 2),
            lambda: models.CrossAttention(8, 3),
            lambda: models.CrossAttention(8, 2, context_dim=0),
        ],
        'MLP': [lambda: models.MLP(0, 4), lambda: models.MLP(4, 0), lambda: models.MLP(4, 8, dropout=1.5)],
        'Block': [
            lambda: models.Block(8, 0),
            lambda: models.Block(8, 2, mlp_ratio=0),
            lambda: models.Block(8, 2)(torch.zeros(3, 8)),
        ],
        'TransformerEncoder': [
            lambda: models.TransformerEncoder(8, 0, 2),
            lambda: models.TransformerEncoder(0, 1, 2),
            lambda: models.TransformerEncoder(8, 1, 2)(torch.zeros(3, 8)),
            lambda: models.TransformerEncoder(8, 1, 2)(torch.zeros(1, 3, 8), pad=MASK.long()),
        ],
        'FrameEmbed': [
            lambda: models.FrameEmbed(0, 8),
            lambda: models.FrameEmbed(4, 8, stride=0),
            lambda: models.FrameEmbed(4, 8)(torch.zeros(3, 4)),
            lambda: models.FrameEmbed(4, 8, kernel=3, stride=2)(torch.zeros(1, 2, 4)),
        ],
        'patchify': [lambda: models.patchify(torch.rand(8, 8), 2), lambda: models.patchify(IMGS, 0)],
        'unpatchify': [
            lambda: models.unpatchify(torch.zeros(1, 4, 16), 0, 8, 8, 1),
            lambda: models.unpatchify(torch.zeros(1, 3, 16), 4, 8, 8, 1),
        ],
        'sincos_pos_embed': [
            lambda: models.sincos_pos_embed(0, 4),
            lambda: models.sincos_pos_embed(8, 0),
            lambda: models.sincos_pos_embed(10, 2, 2),
        ],
        'PatchEmbed': [
            lambda: models.PatchEmbed(img_size=8, patch=0, in_chans=1, dim=8),
            lambda: models.PatchEmbed(img_size=8, patch=4, in_chans=1, dim=0),
            lambda: models.PatchEmbed(img_size=8, patch=4, in_chans=1, dim=8)(torch.zeros(1, 3, 8, 8)),
        ],
        'TubeEmbed': [
            lambda: models.TubeEmbed(0, 8),
            lambda: models.TubeEmbed(1, 8, tube=(2, 0, 4)),
            lambda: models.TubeEmbed(1, 8, tube=(2, 4, 4))(torch.zeros(1, 1, 3, 8, 8)),
        ],
        'LinearHead': [lambda: models.LinearHead(0, 4), lambda: models.LinearHead(4, -1)],
        'mask_info': [
            lambda: models.mask_info(MASK.long()),
            lambda: models.mask_info(torch.tensor([[True, False], [True, True]])),
        ],
        'MAEDecoder': [
            lambda: models.MAEDecoder(enc_dim=8, dec_dim=8, depth=0, heads=2, out_dim=4),
            lambda: models.MAEDecoder(enc_dim=8, dec_dim=8, depth=1, heads=2, out_dim=0),
            lambda: models.MAEDecoder(enc_dim=8, dec_dim=8, depth=1, heads=3, out_dim=4),
            lambda: models.MAEDecoder(enc_dim=8, dec_dim=8, depth=1, heads=2, out_dim=4)(torch.zeros(2, 1, 8), torch.zeros(3, dtype=torch.long)),
        ],
        'CrossAttentionBlock': [
            lambda: models.CrossAttentionBlock(8, 0),
            lambda: models.CrossAttentionBlock(8, 2, mlp_ratio=0),
        ],
        'SegNet': [
            lambda: models.SegNet(0),
            lambda: models.SegNet(4, patch=0),
            lambda: models.SegNet(4)(torch.zeros(1, 1, 6, 6)),
        ],
        'MaskedTokenModel': [
            lambda: models.MaskedTokenModel(vocab_size=0, dim=8, depth=1, heads=2, max_len=16),
            lambda: models.MaskedTokenModel(vocab_size=10, dim=8, depth=1, heads=2, max_len=0),
            lambda: models.MaskedTokenModel(vocab_size=10, dim=8, depth=1, heads=2, max_len=16, pad_id=10),
            lambda: models.MaskedTokenModel(vocab_size=10, dim=8, depth=1, heads=2, max_len=16)(IDS.float()),
            lambda: models.MaskedTokenModel(vocab_size=10, dim=8, depth=1, heads=2, max_len=16)(IDS + 10),
        ],
        'MaskedAutoencoder': [
            lambda: models.MaskedAutoencoder(img_size=8, patch=3, in_chans=1, dim=8, depth=1, heads=2, dec_dim=8, dec_depth=1),
            lambda: models.MaskedAutoencoder(img_size=8, patch=4, in_chans=1, dim=8, depth=0, heads=2, dec_dim=8, dec_depth=1),
            lambda: models.MaskedAutoencoder(img_size=8, patch=4, in_chans=1, dim=8, depth=1, heads=2, dec_dim=8, dec_depth=1)(IMGS[:, :, :4]),
            lambda: models.MaskedAutoencoder(img_size=8, patch=4, in_chans=1, dim=8, depth=1, heads=2, dec_dim=8, dec_depth=1)(IMGS, mask_ratio=1.5),
        ],
    },
    'train': {
        'WithLoss': [lambda: train.WithLoss(lambda x: x, lambda m, x: x), lambda: train.WithLoss(torch.nn.Linear(2, 2), 3)],
        'warmup_cosine': [
            lambda: train.warmup_cosine(-1, total=10, warmup=1, base_lr=1.0),
            lambda: train.warmup_cosine(0, total=0, warmup=0, base_lr=1.0),
            lambda: train.warmup_cosine(0, total=10, warmup=11, base_lr=1.0),
        ],
        'init_distributed': [
            with_env(train.init_distributed, WORLD_SIZE='two'),
            with_env(train.init_distributed, WORLD_SIZE='0'),
        ],
        'shard_batch': [
            lambda: train.shard_batch(T, 0, 0),
            lambda: train.shard_batch(T, 2, 2),
            lambda: train.shard_batch(T[:1], 0, 2),
        ],
        'to_device': [lambda: train.to_device(T, 'nodevice')],
        'History': [lambda: train.History(loss=[1.0, 2.0]).smooth(0)],
        'LivePlot': [lambda: train.LivePlot(-1), lambda: train.LivePlot(float('nan'))],
        'device_of': [lambda: train.device_of(torch.nn.Identity())],
        'evaluating': [lambda: train.evaluating('model').__enter__()],
        'ema_update': [
            lambda: train.ema_update(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), alpha=1.5),
            lambda: train.ema_update(torch.nn.Linear(2, 2), torch.nn.Linear(2, 3)),
        ],
        'fit': [
            lambda: train.fit(torch.nn.Linear(2, 2), [T], steps=0),
            lambda: train.fit(torch.nn.Linear(2, 2), [T], steps=2, lr=0),
            lambda: train.fit(torch.nn.Linear(2, 2), [T], steps=2, warmup=-1),
            lambda: train.fit(torch.nn.Linear(2, 2), [T], steps=2, eval_every=0),
        ],
        'mae_batches': [
            lambda: train.mae_batches(torch.rand(8, 8)),
            lambda: train.mae_batches(NAN_IMGS),
            lambda: train.mae_batches(IMGS, batch_size=0),
            lambda: train.mae_batches(IMGS, mask_ratio=1.5),
        ],
        'pretrain_mae': [
            lambda: train.pretrain_mae(torch.nn.Linear(2, 2), NAN_IMGS, steps=1),
            lambda: train.pretrain_mae(torch.nn.Linear(2, 2), IMGS, steps=0),
        ],
        'save_checkpoint': [
            lambda: train.save_checkpoint('model', MISSING),
            lambda: train.save_checkpoint(torch.nn.Linear(2, 2), MISSING, metadata=[1]),
        ],
        'load_checkpoint': [
            (lambda: train.load_checkpoint(torch.nn.Linear(2, 2), MISSING), FileNotFoundError),
            lambda: load_into(torch.nn.Linear(2, 3)),
        ],
        'cache_key': [
            lambda: train.cache_key('', {}),
            lambda: train.cache_key('mae', [1]),
            lambda: train.cache_key('mae', dict(f=print)),
        ],
        'model_cache_dir': [lambda: train.model_cache_dir(settings=42)],
        'cached_model': [
            lambda: train.cached_model('a/b', {}, lambda: torch.nn.Linear(2, 2), lambda m: None),
            lambda: train.cached_model('mae', {}, 'model', lambda m: None),
            lambda: train.cached_model('mae', {}, lambda: 'model', lambda m: None, cache_dir=MISSING.parent),
        ],
        'course_mae': [
            lambda: train.course_mae(IMGS, steps=1),
            lambda: train.course_mae(torch.rand(2, 1, 28, 28), steps=0),
            lambda: train.course_mae(torch.rand(2, 1, 28, 28), steps=1, mask_ratio=1.5),
        ],
    },
    'probes': {
        'binomial_stderr': [
            lambda: probes.binomial_stderr(1.5, 10),
            lambda: probes.binomial_stderr(0.5, 0),
            lambda: probes.binomial_stderr(float('nan'), 10),
        ],
        'linear_probe': [
            lambda: probes.linear_probe(np.zeros(4), [0, 1, 0, 1], np.zeros((2, 2)), [0, 1]),
            lambda: probes.linear_probe(np.full((4, 2), np.nan), [0, 1, 0, 1], np.zeros((2, 2)), [0, 1]),
            lambda: probes.linear_probe(np.zeros((4, 2)), [0, 0, 0, 0], np.zeros((2, 2)), [0, 1]),
            lambda: probes.linear_probe(np.zeros((4, 2)), [0, 1], np.zeros((2, 2)), [0, 1]),
        ],
        'pool': [lambda: probes.pool(T[0]), lambda: probes.pool(T, MASK.long())],
        'extract_features': [
            lambda: probes.extract_features(lambda b: b, []),
            lambda: probes.extract_features(lambda b: b, T, batch_size=0),
        ],
        'probe_encoder': [lambda: probes.probe_encoder(torch.nn.Linear(2, 2), T, [0, 1], T, [0, 1])],
        'masked_hits': [
            lambda: probes.masked_hits(IDS, IDS, MASK.long()),
            lambda: probes.masked_hits(IDS, IDS, MASK[:, :2]),
        ],
        'masked_accuracy': [
            lambda: probes.masked_accuracy(IDS, IDS, ~MASK),
            lambda: probes.masked_accuracy(IDS[0], IDS, MASK),
        ],
        'paired_difference': [
            lambda: probes.paired_difference(torch.ones(3), torch.ones(4)),
            lambda: probes.paired_difference(torch.tensor([1.0, float('nan')]), torch.ones(2)),
        ],
        'predict_classes': [
            lambda: probes.predict_classes(torch.nn.Identity(), torch.rand(8, 8)),
            lambda: probes.predict_classes(torch.nn.Identity(), NAN_IMGS),
            lambda: probes.predict_classes(torch.nn.Identity(), IMGS, batch_size=0),
        ],
        'confusion_iou': [
            lambda: probes.confusion_iou(IDS, IDS[:1], 10),
            lambda: probes.confusion_iou(IDS, IDS, 0),
            lambda: probes.confusion_iou(IDS, IDS, 3),
            lambda: probes.confusion_iou(IDS.float(), IDS, 10),
        ],
        'segmentation_scores': [
            lambda: probes.segmentation_scores(SEG, SEG, n_boot=1),
            lambda: probes.segmentation_scores(SEG + 5, SEG, n_classes=4),
        ],
        'paired_miou_gap': [
            lambda: probes.paired_miou_gap(SEG, SEG, SEG, n_boot=0),
            lambda: probes.paired_miou_gap(SEG, SEG[:1], SEG),
        ],
        'scene_confusions': [
            lambda: probes.scene_confusions(SEG, SEG[:1]),
            lambda: probes.scene_confusions(SEG + 5, SEG),
            lambda: probes.scene_confusions(SEG[:, 0], SEG[:, 0]),
        ],
        'pooled_miou': [lambda: probes.pooled_miou(np.zeros((0, 4, 4))), lambda: probes.pooled_miou(np.zeros((2, 4)))],
        'reconstruction_errors': [
            lambda: probes.reconstruction_errors(torch.nn.Identity(), torch.rand(8, 8)),
            lambda: probes.reconstruction_errors(torch.nn.Identity(), NAN_IMGS),
            lambda: probes.reconstruction_errors(torch.nn.Identity(), IMGS, mask_ratio=1.5),
        ],
        'group_split': [
            lambda: probes.group_split(np.array([]), 0.25, 0),
            lambda: probes.group_split(np.zeros((2, 2)), 0.25, 0),
            lambda: probes.group_split(np.array([0, 1, 2]), 1.5, 0),
            lambda: probes.group_split(np.array([0, 0, 0]), 0.25, 0),
        ],
        'EncoderClassifier': [
            lambda: probes.EncoderClassifier(torch.nn.Linear(2, 2), 2, 2),
            lambda: probes.EncoderClassifier(_Encodes(), 2, 1),
            lambda: probes.EncoderClassifier(_Encodes(), 0, 2),
        ],
        'accuracy_hits': [
            lambda: probes.accuracy_hits(probes.EncoderClassifier(_Encodes(), 2, 2), torch.zeros(3, 2), torch.zeros(2)),
            lambda: probes.accuracy_hits(probes.EncoderClassifier(_Encodes(), 2, 2), torch.zeros(0, 2), torch.zeros(0)),
            lambda: probes.accuracy_hits(probes.EncoderClassifier(_Encodes(), 2, 2), torch.zeros(3, 2), torch.zeros(3),
                                         batch_size=0),
        ],
        'content_probe': [
            lambda: probes.content_probe(np.zeros(4), [0, 1, 0, 1], [0, 0, 1, 1]),
            lambda: probes.content_probe(np.zeros((4, 2)), [0, 1, 0, 1], [0, 0, 0, 0]),
            lambda: probes.content_probe(np.zeros((4, 2)), [0, 1, 0, 1], [0, 0, 1, 1], test_frac=1.5),
        ],
        'speaker_probe': [
            lambda: probes.speaker_probe(np.full((4, 2), np.nan), [0, 0, 1, 1], [0, 1, 0, 1]),
            lambda: probes.speaker_probe(np.zeros((4, 2)), [0, 0, 1, 1], [0, 1]),
            lambda: probes.speaker_probe(np.zeros((4, 2)), [0, 0, 1, 1], [0, 1, 0, 1], test_frac=0),
        ],
    },
    'points': {
        'farthest_point_sample': [
            lambda: points.farthest_point_sample(torch.rand(8, 3), 2),
            lambda: points.farthest_point_sample(XYZ, 0),
            lambda: points.farthest_point_sample(torch.full((1, 8, 3), float('nan')), 2),
        ],
        'knn_group': [
            lambda: points.knn_group(XYZ, XYZ[:, :2], 0),
            lambda: points.knn_group(XYZ, XYZ[:, :2], 9),
            lambda: points.knn_group(XYZ[0], XYZ[0, :2], 2),
        ],
        'PointGroupEmbed': [
            lambda: points.PointGroupEmbed(0, 4, 8),
            lambda: points.PointGroupEmbed(2, 4, 0),
            lambda: points.PointGroupEmbed(2, 4, 8)(torch.rand(1, 8, 2)),
        ],
        'region_mask': [
            lambda: points.region_mask(torch.rand(8, 3), 0.5),
            lambda: points.region_mask(XYZ.long(), 0.5),
            lambda: points.region_mask(torch.full((1, 8, 3), float('nan')), 0.5),
            lambda: points.region_mask(XYZ, 1.5),
            lambda: points.region_mask(XYZ, 0.5, n_regions=0),
            lambda: points.region_mask(XYZ, 0.5, n_regions=9),
        ],
        'local_geometry': [
            lambda: points.local_geometry(XYZ, XYZ[:, :2], 2),
            lambda: points.local_geometry(XYZ, XYZ[:, :2], 9),
            lambda: points.local_geometry(XYZ, XYZ[0, :2], 3),
            lambda: points.local_geometry(torch.rand(1, 8, 2), XYZ[:, :2], 3),
        ],
    },
    'diffusion': {
        'DDPMSchedule': [
            lambda: diffusion.DDPMSchedule(0),
            lambda: diffusion.DDPMSchedule(10, beta_end=1.5),
            lambda: diffusion.DDPMSchedule(10, kind='sigmoid'),
            lambda: diffusion.DDPMSchedule(10).add_noise(torch.rand(2, 3), torch.rand(2, 4), 1),
            lambda: diffusion.DDPMSchedule(10).add_noise(torch.rand(2, 3), torch.rand(2, 3), 10),
            lambda: diffusion.DDPMSchedule(10).step(torch.rand(2, 3), -1, torch.rand(2, 3)),
            lambda: diffusion.DDPMSchedule(10).predict_x0(torch.rand(2, 3), torch.rand(2, 3), torch.zeros(3, dtype=torch.long)),
        ],
        'timestep_embedding': [
            lambda: diffusion.timestep_embedding(torch.zeros(2, 2), 8),
            lambda: diffusion.timestep_embedding(torch.zeros(2), 0),
        ],
        'diffusion_loss': [
            lambda: diffusion.diffusion_loss(lambda x, t, m: x, torch.zeros(2, 3, dtype=torch.long), diffusion.DDPMSchedule(10)),
            lambda: diffusion.diffusion_loss(lambda x, t, m: x, torch.rand(2, 3), diffusion.DDPMSchedule(10), mask=torch.ones(2, 4, dtype=torch.bool)),
            lambda: diffusion.diffusion_loss(lambda x, t, m: x, torch.rand(2, 3), diffusion.DDPMSchedule(10), mask=torch.zeros(2, 3, dtype=torch.bool)),
            lambda: diffusion.diffusion_loss(lambda x, t, m: x[:, :2], torch.rand(2, 3), diffusion.DDPMSchedule(10)),
            lambda: diffusion.diffusion_loss('denoiser', torch.rand(2, 3), diffusion.DDPMSchedule(10)),
            lambda: diffusion.diffusion_loss(lambda x, t, m: x, torch.full((2, 3), float('nan')), diffusion.DDPMSchedule(10)),
        ],
        'sample': [
            lambda: diffusion.sample(lambda x, t, m: x, diffusion.DDPMSchedule(10), (0, 3)),
            lambda: diffusion.sample(lambda x, t, m: x, diffusion.DDPMSchedule(10), (2, 3), replace='copy'),
            lambda: diffusion.sample(lambda x, t, m: x, diffusion.DDPMSchedule(10), (2, 3), x0=torch.rand(2, 3)),
            lambda: diffusion.sample(lambda x, t, m: x, diffusion.DDPMSchedule(10), (2, 3), x0=torch.rand(2, 4), mask=torch.ones(2, 4, dtype=torch.bool)),
            lambda: diffusion.sample(lambda x, t, m: x, 'schedule', (2, 3)),
        ],
    },
    'ssm': {
        'linear_scan': [
            lambda: ssm.linear_scan(torch.rand(2, 5), torch.rand(2, 4)),
            lambda: ssm.linear_scan(torch.rand(5), torch.rand(5)),
            lambda: ssm.linear_scan([1.0], torch.rand(2, 5)),
        ],
        'DiagonalSSM': [
            lambda: ssm.DiagonalSSM(0),
            lambda: ssm.DiagonalSSM(4, state=0),
            lambda: ssm.DiagonalSSM(4, dt_min=0.5, dt_max=0.1),
            lambda: ssm.DiagonalSSM(4)(torch.rand(2, 7, 3)),
        ],
        'SSMBlock': [
            lambda: ssm.SSMBlock(0),
            lambda: ssm.SSMBlock(4, expand=0),
            lambda: ssm.SSMBlock(4)(torch.rand(2, 7)),
        ],
        'SSMEncoder': [
            lambda: ssm.SSMEncoder(0, 8, 1),
            lambda: ssm.SSMEncoder(3, 8, 0),
            lambda: ssm.SSMEncoder(3, 8, 1)(torch.rand(2, 7, 4)),
        ],
    },
    'multimodal': {
        'WordVocab': [
            lambda: multimodal.WordVocab().encode(3),
            lambda: multimodal.WordVocab().decode([0, 10_000]),
        ],
        'caption_batch': [
            lambda: multimodal.caption_batch([], multimodal.WordVocab()),
            lambda: multimodal.caption_batch('a red bag', multimodal.WordVocab()),
            lambda: multimodal.caption_batch(['a red bag'], multimodal.WordVocab(), max_len=1),
        ],
        'region_features': [
            lambda: multimodal.region_features(torch.rand(2, 3, 16), torch.zeros(2, 1, 4, dtype=torch.long)),
            lambda: multimodal.region_features(torch.rand(2, 3, 16, 16), torch.zeros(3, 1, 4, dtype=torch.long)),
        ],
        'scene_regions': [
            lambda: multimodal.scene_regions({'images': torch.rand(1, 3, 48, 48)}),
            lambda: multimodal.scene_regions(data.scenes(1), max_regions=0),
        ],
        'SingleStreamEncoder': [
            lambda: multimodal.SingleStreamEncoder(0, 197),
            lambda: multimodal.SingleStreamEncoder(40, 4),
            lambda: multimodal.SingleStreamEncoder(40, 197, max_len=4)(
                torch.ones(1, 6, dtype=torch.long), torch.zeros(1, 6, dtype=torch.bool),
                torch.rand(1, 2, 197), torch.zeros(1, 2, dtype=torch.bool)),
        ],
        'CrossModalLayer': [lambda: multimodal.CrossModalLayer(10, 3)],
        'TwoStreamEncoder': [
            lambda: multimodal.TwoStreamEncoder(40, 197, depth_x=0),
            lambda: multimodal.TwoStreamEncoder(40, 197)(
                torch.ones(1, 6, dtype=torch.long), torch.zeros(1, 6, dtype=torch.bool),
                torch.rand(1, 2, 100), torch.zeros(1, 2, dtype=torch.bool)),
        ],
        'word_region_attention': [lambda: multimodal.word_region_attention(models.Output())],
        'ITMHead': [lambda: multimodal.ITMHead(0)],
        'itm_pairs': [lambda: multimodal.itm_pairs(1), lambda: multimodal.itm_pairs(0)],
        'MaskedWordHead': [lambda: multimodal.MaskedWordHead(0, 10), lambda: multimodal.MaskedWordHead(8, 0)],
        'RegionHeads': [lambda: multimodal.RegionHeads(8, 0)],
        'sinkhorn_plan': [
            lambda: multimodal.sinkhorn_plan(torch.rand(3)),
            lambda: multimodal.sinkhorn_plan(torch.rand(2, 3), eps=0.0),
            lambda: multimodal.sinkhorn_plan(torch.rand(1, 2, 3), a=torch.tensor([[-1.0, 2.0]])),
        ],
    },
    'graphs': {
        'eulerize': [
            lambda: graphs.eulerize(nx.Graph([(0, 1), (2, 3)])),
            lambda: graphs.eulerize(nx.DiGraph([(0, 1)])),
            lambda: graphs.eulerize(nx.Graph()),
            lambda: graphs.eulerize(PATH, root=9),
        ],
        'eulerian_walk': [
            lambda: graphs.eulerian_walk(nx.empty_graph(2)),
            lambda: graphs.eulerian_walk(nx.MultiGraph([(0, 1)])),
            lambda: graphs.eulerian_walk('0-1'),
        ],
        'node_token': [lambda: graphs.node_token(-1), lambda: graphs.node_token(1.5)],
        'graph_to_tokens': [
            lambda: graphs.graph_to_tokens(nx.Graph()),
            lambda: graphs.graph_to_tokens([(0, 1)]),
            lambda: graphs.graph_to_tokens(nx.Graph([(0, 1, {'w': [1, 2]})])),
            lambda: graphs.graph_to_tokens(nx.Graph([(0, 1, {'a b': 1})])),
            lambda: graphs.graph_to_tokens(nx.Graph([(0, 1, {'w': float('nan')})])),
            lambda: graphs.graph_to_tokens(PATH, node_attrs=('element',)),
        ],
        'tokens_to_graph': [
            lambda: graphs.tokens_to_graph([]),
            lambda: graphs.tokens_to_graph('n0'),
            lambda: graphs.tokens_to_graph(['n0', 'e:order=1.0']),
            lambda: graphs.tokens_to_graph(['e:order=1.0', 'n0']),
            lambda: graphs.tokens_to_graph(['element=C', 'n0']),
            lambda: graphs.tokens_to_graph(['n0', '[MASK]']),
            lambda: graphs.tokens_to_graph([5]),
        ],
        'GraphVocab': [
            lambda: graphs.GraphVocab([]),
            lambda: graphs.GraphVocab([nx.Graph()]),
            lambda: graphs.GraphVocab([PATH], max_nodes=0),
            lambda: graphs.GraphVocab([PATH]).encode(nx.path_graph(5)),
            lambda: graphs.GraphVocab([PATH]).decode([2, 99]),
            lambda: graphs.GraphVocab([PATH]).decode(torch.tensor([[2, 5]])),
            lambda: graphs.GraphVocab([PATH]).decode([2, 1, 3]),
        ],
    },
    'text': {
        'sentence_ids': [
            lambda: text.sentence_ids('one sentence', None),
            lambda: text.sentence_ids(['a'], None, max_len=2),
        ],
        'pad_batch': [lambda: text.pad_batch([]), lambda: text.pad_batch([[5, 6], []])],
        'SentenceClassifier': [lambda: text.SentenceClassifier(_tiny_text_model(), 1)],
        'labelled_batches': [
            lambda: text.labelled_batches([], []),
            lambda: text.labelled_batches(SEQS, [0]),
            lambda: text.labelled_batches(SEQS, [0] * len(SEQS), batch_size=0),
        ],
        'fine_tune': [
            lambda: text.fine_tune(torch.nn.Linear(2, 2), SEQS, [0] * len(SEQS), steps=1),
            lambda: text.fine_tune(_tiny_text_model(), SEQS, [0], steps=1),
        ],
        'sentence_predictions': [lambda: text.sentence_predictions(text.SentenceClassifier(_tiny_text_model()), [])],
        'mlm_batches': [
            lambda: text.mlm_batches([], vocab_size=10),
            lambda: text.mlm_batches(SEQS, vocab_size=10, batch_size=0),
            lambda: text.mlm_batches(SEQS, vocab_size=0),
            lambda: text.mlm_batches(SEQS, vocab_size=10, mask_prob=1.5),
        ],
        'held_out_batches': [
            lambda: text.held_out_batches(SEQS, mask_prob=0),
            lambda: text.held_out_batches([]),
            lambda: text.held_out_batches(SEQS, batch_size=0),
        ],
        'masked_token_accuracy': [
            lambda: text.masked_token_accuracy(lambda ids: ids, []),
            lambda: text.masked_token_accuracy(lambda ids: ids[0], text.held_out_batches(SEQS)),
        ],
        'token_counts': [
            lambda: text.token_counts([], 10),
            lambda: text.token_counts(SEQS, 0),
            lambda: text.token_counts(SEQS, 6),
        ],
        'lm_batches': [lambda: text.lm_batches([]), lambda: text.lm_batches(SEQS, batch_size=0)],
        'token_log_probs': [
            lambda: text.token_log_probs(_clm(), []),
            lambda: text.token_log_probs(_clm(), [[2]]),
            lambda: text.token_log_probs(_clm(), SEQS, batch_size=0),
            lambda: text.token_log_probs(_clm(), [[2, 11]]),            # an id out of the vocabulary
        ],
        'sample_text': [
            lambda: text.sample_text(_clm(), [], max_new=3),
            lambda: text.sample_text(_clm(), [[]], max_new=3),
            lambda: text.sample_text(_clm(), [[2]], max_new=0),
            lambda: text.sample_text(_clm(), [[2]], max_new=3, temperature=-1),
            lambda: text.sample_text(_clm(), [[2]], max_new=3, top_k=0),
        ],
        'UnigramBaseline': [lambda: text.UnigramBaseline([], 10), lambda: text.UnigramBaseline(SEQS, 6)],
        'BigramBaseline': [
            lambda: text.BigramBaseline(SEQS, 10, smoothing=0),
            lambda: text.BigramBaseline([], 10),
            lambda: text.BigramBaseline(SEQS, 6),
            lambda: text.BigramBaseline([[1], [2]], 10),
        ],
    },
}

def _clm():
    "A tiny causal model over ids 0-9, for the text core's language-model functions."
    return models.MaskedTokenModel(vocab_size=10, dim=8, depth=1, heads=2, max_len=8, pad_id=0, causal=True)

EXEMPT = {
    'config': {
        'DEFAULTS': 'a constant',
        'repo_root': 'takes no input',
        'Settings': 'a frozen dataclass of values that get_settings has already checked',
    },
    'checks': {'argument_docs': 'takes any object: {} where there is no source to read'},
    'data': {
        **{
            name: 'a constant'
            for name in (
                'SPLITS',
                'SCENE_CLASSES',
                'SCENE_COLOURS',
                'SCENE_SIZES',
                'SCENE_WORDS',
                'ERAS',
                'SPECIAL_TOKENS',
                'DIRECTIONS',
                'SPEEDS',
                'SLEEP_STAGES',
                'SLEEP_TRANSITIONS',
                'SHAPES',
                'PARTS',
                'GRAPHS',
                'PENGUIN_NUMERIC',
                'TABLES',
                'POSITIONS',
                'SKILLS',
                'STATS',
                'FASHION_GROUPS',
                'SEG_CLASSES',
            )
        },
        **{
            name: 'takes no input; a missing or changed sample file is refused by verify_sample'
            for name in (
                'load_tokenizer',
                'load_python_functions',
                'load_digits',
                'load_fashion_mnist',
                'load_photo_crops',
                'load_cat_frames',
                'load_eeg',
                'load_motorcycle',
                'load_bunny',
                'load_penguins',
                'load_lineups',
                'load_mocap',
                'load_every_sample',
            )
        },
    },
    'audio': {
        **{
            name: 'a constant'
            for name in ('PS_CORPORA', 'VOICE_SPLITS', 'HOLDOUTS', 'AUDIO_LOADERS')
        },
        'load_librivox': 'takes no input; load_pocketsphinx with its one corpus',
        'load_nonspeech': 'takes no input; a changed sample file is refused by verify_sample',
    },
    'losses': {'InfoNCEResult': 'a NamedTuple container of the outputs of info_nce'},
    'explorers': {
        **{
            name: 'a constant'
            for name in ('MODALITIES', 'MASKERS', 'DEFAULT_SIZES', 'CLUSTER_METHODS')
        },
        'MaskedSample': 'a NamedTuple container of the outputs of mask_sample',
    },
    'results': {'git_commit': 'takes no input', 'recorded_results_path': 'takes no input'},
    'claims': {
        'VERDICTS': 'a constant',
        'Comparison': 'a frozen dataclass container of the outputs of compare',
    },
    'papers': {'PAPERS': 'a constant: the registry'},
    'masking': {
        'units_cmap': 'takes no input',
        'HIDDEN_COLOUR': 'a constant',
        'MaskInfo': 'a NamedTuple container of the outputs of random_mask',
        'BertCorruption': 'a NamedTuple container of the outputs of bert_corrupt',
        'NgramMask': 'a NamedTuple container of the outputs of ngram_mask',
    },
    'targets': {
        'Assignment': 'a NamedTuple container of the outputs of assign',
        'KMeansResult': 'a NamedTuple container of the outputs of kmeans',
        'UnitCodebook': 'a NamedTuple container of the outputs of fit_units',
        'VQResult': 'a NamedTuple container of the outputs of VectorQuantizer',
    },
    'models': {'Output': "a dataclass container of a model's outputs",
               'EncoderOutput': 'a NamedTuple container of the outputs of TransformerEncoder.layers'},
    'train': {'in_notebook': 'takes no input'},
    'probes': {
        'ProbeResult': 'a frozen dataclass container of the outputs of linear_probe',
        'MaskedAccuracy': 'a NamedTuple container of the outputs of masked_accuracy',
    },
    'points': {'LocalGeometry': 'a NamedTuple container of the outputs of local_geometry'},
    'graphs': {name: 'a constant: a token or its prefix' for name in ('SEP_TOKEN', 'EDGE_PREFIX')},
    'diffusion': {'Denoiser': 'a type alias: the signature a denoiser has'},
    'ssm': {},
    'multimodal': {'MM_SPECIAL': 'a constant: the special words',
                   'MultimodalOutput': "a dataclass container of a multimodal encoder's outputs"},
    'text': {
        **{name: 'a constant: a special id' for name in ('PAD', 'UNK', 'CLS', 'SEP', 'MASK', 'SPECIAL_IDS')},
        'TokenBatch': 'a NamedTuple container of the outputs of pad_batch',
    },
}

ROWS = [
    pytest.param(mod, name, i, call, id=f'{mod}.{name}[{i}]')
    for mod, table in MODULES.items()
    for name, calls in table.items()
    for i, call in enumerate(calls)
]


@pytest.mark.parametrize('mod,name,i,call', ROWS)
def test_bad_call_is_refused_inside_mpkit(mod, name, i, call, tmp_results):
    fn, kind = call if isinstance(call, tuple) else (call, ValueError)
    with pytest.raises(kind) as info:
        fn()
    err, where = info.value, raising_frame(info.value)
    assert raised_in_mpkit(err), f'{mod}.{name}: {type(err).__name__} raised in {where}: {err}'
    if kind is ValueError:
        assert 'expected' in str(err), f'{mod}.{name}: the message says nothing expected: {err}'


@pytest.mark.parametrize('mod', sorted(MODULES))
def test_every_public_name_is_covered(mod):
    public = set(importlib.import_module(f'mpkit.{mod}').__all__)
    rows, exempt = set(MODULES[mod]), set(EXEMPT.get(mod, {}))
    assert not rows & exempt, f'mpkit.{mod}: both in the table and exempt: {sorted(rows & exempt)}'
    assert (
        not (rows | exempt) - public
    ), f'mpkit.{mod}: not public (renamed?): {sorted((rows | exempt) - public)}'
    missing = public - rows - exempt
    assert (
        not missing
    ), f'mpkit.{mod}: public names with no bad call and no exemption: {sorted(missing)}'
    assert all(
        MODULES[mod][n] for n in rows
    ), f'mpkit.{mod}: a name with an empty list of bad calls'


def test_raising_frame_sees_through_to_torch():
    "The helper itself: an error raised in torch's Python code is located there, not in the caller."
    with pytest.raises((ValueError, RuntimeError)) as info:
        torch.nn.functional.cross_entropy(torch.zeros(2, 3), torch.zeros(3, dtype=torch.long))
    assert not raised_in_mpkit(info.value) and 'torch' in raising_frame(info.value)
    with pytest.raises(ValueError) as info:
        checks.check_ratio('r', 2)
    assert raised_in_mpkit(info.value) and raising_frame(info.value).endswith('checks.py')


def test_every_core_module_is_in_the_sweep():
    "A new core module gets its MODULES and EXEMPT entries: none is left out of the sweep by accident."
    core = {p.stem for p in Path(mpkit.__file__).parent.glob('*.py') if not p.stem.startswith('_')}
    assert not core - set(MODULES), f'core modules with no bad-input rows: {sorted(core - set(MODULES))}'
