"""mpkit.train: schedule, batch conventions, fit, checkpoints, and DDP on two CPU processes."""
import json, math, os, socket, subprocess, sys
from pathlib import Path
import pytest
import torch
from mpkit import train as T
from mpkit.models import Output, TransformerEncoder

ROOT = Path(__file__).resolve().parent.parent


class Regressor(torch.nn.Module):
    "A tiny transformer regressor: its loss is a plain mean over examples, so DDP must match one process exactly."
    def __init__(self):
        super().__init__()
        self.enc, self.out = TransformerEncoder(16, 1, 2), torch.nn.Linear(16, 1)

    def forward(self, x, y):
        self.rows_seen = x.shape[0]
        pred = self.out(self.enc(x)).mean((1, 2))
        return Output(loss=None if y is None else (pred - y).square().mean(), pred=pred, target=y)


def make_batch(step, B=8):
    g = torch.Generator().manual_seed(step)
    x = torch.randn(B, 4, 16, generator=g)
    return {'x': x, 'y': (x[:, :, 0] - x[:, :, 1]).mean(1)}   # a target the pooled features can express


def test_warmup_cosine_shape():
    lrs = [T.warmup_cosine(s, total=100, warmup=10, base_lr=1.0, min_lr=0.1) for s in range(100)]
    assert lrs[:10] == pytest.approx([(s + 1) / 10 for s in range(10)])
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))
    assert lrs[55] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 45 / 90)))
    assert T.warmup_cosine(500, total=100, warmup=10, base_lr=1.0, min_lr=0.1) == pytest.approx(0.1)
    with pytest.raises(ValueError, match='step >= 0'): T.warmup_cosine(-1, total=10, warmup=1, base_lr=1.0)


def test_fit_loss_falls_and_history():
    torch.manual_seed(0)
    model = Regressor()
    evals = []
    hist = T.fit(model, make_batch, steps=60, lr=3e-3, progress=False, eval_every=20,
                 eval_fn=lambda m: evals.append(m.training) or m(**make_batch(999)).loss.item())
    assert hist.step == list(range(60)) and len(hist.lr) == 60
    assert hist.smooth(10)[-1] < 0.5 * hist.smooth(10)[9], hist.smooth(10)[::10]
    assert [r['step'] for r in hist.evals] == [19, 39, 59] and evals == [False] * 3
    assert model.training                                   # eval mode is undone
    assert hist.stopped is None and hist.seconds > 0


@pytest.mark.parametrize('kind', ['dict', 'tuple', 'tensor_loss', 'list', 'iterator'])
def test_batch_conventions(kind):
    torch.manual_seed(0)
    model = Regressor()
    if kind == 'dict': src = make_batch
    elif kind == 'tuple': src = lambda s: tuple(make_batch(s).values())
    elif kind == 'list': src = [make_batch(0), make_batch(1)]
    elif kind == 'iterator': src = iter([make_batch(0), make_batch(1)])
    else:
        wrapped = model
        model = torch.nn.Module(); model.inner = wrapped
        model.forward = lambda x, y: wrapped(x, y).loss
        src = make_batch
    hist = T.fit(model, src, steps=4, progress=False)
    assert len(hist) == (2 if kind == 'iterator' else 4)
    assert all(math.isfinite(l) for l in hist.loss)


def test_callbacks_see_records_and_can_stop():
    seen = []
    hist = T.fit(Regressor(), make_batch, steps=10, progress=False, eval_fn=lambda m: {'a': 1.0}, eval_every=2,
                 callbacks=[lambda rec, m: seen.append(dict(rec)) or rec['step'] == 3])
    assert len(hist) == 4 and 'callback' in hist.stopped
    assert seen[1]['a'] == 1.0 and 'a' not in seen[0] and set(seen[0]) == {'step', 'loss', 'lr'}


def test_same_seed_same_losses():
    def run():
        torch.manual_seed(5)
        return T.fit(TransformerEncoderModel(), make_batch, steps=5, progress=False, seed=1).loss
    assert run() == run()


class TransformerEncoderModel(Regressor):
    "The regressor with dropout, so that `seed` matters."
    def __init__(self):
        super().__init__()
        self.enc = TransformerEncoder(16, 1, 2, dropout=0.2)


def test_fit_rejects_bad_input():
    with pytest.raises(ValueError, match='steps = 0; expected a positive integer'): T.fit(Regressor(), make_batch, steps=0)
    with pytest.raises(ValueError, match='Output with a loss'):
        T.fit(Regressor(), lambda s: {'x': make_batch(s)['x'], 'y': None}, steps=1, progress=False)


def test_live_plot_off_outside_notebooks(monkeypatch):
    monkeypatch.setenv('IN_TEST', '1')
    assert not T.in_notebook()
    monkeypatch.delenv('IN_TEST')
    assert not T.in_notebook()                              # pytest is not a Jupyter kernel
    h = T.History(step=[0, 1, 2], loss=[3., 2., 1.], lr=[1.] * 3, evals=[{'step': 2, 'acc': 0.5}])
    assert T.LivePlot().render(h)[:4] == b'\x89PNG'


def test_checkpoint_roundtrip_and_errors(tmp_path):
    torch.manual_seed(0)
    a, b = Regressor(), Regressor()
    p = T.save_checkpoint(a, tmp_path / 'sub' / 'ck.safetensors', metadata={'step': 3, 'note': 'hi', 'lrs': [1, 2]})
    assert T.load_checkpoint(b, p) == {'step': 3, 'note': 'hi', 'lrs': [1, 2]}
    for (k, v), w in zip(a.state_dict().items(), b.state_dict().values()): assert torch.equal(v, w), k
    assert p.read_bytes()[8:9] == b'{'                       # a safetensors header, not a pickle
    other = torch.nn.Sequential(torch.nn.Linear(16, 1))
    with pytest.raises(ValueError, match=r"missing keys \['0.bias', '0.weight'\].*unexpected keys \['enc"): T.load_checkpoint(other, p)
    c = Regressor(); c.out = torch.nn.Linear(16, 2)
    with pytest.raises(ValueError, match=r'out.weight: checkpoint \(1, 16\) vs model \(2, 16\)'): T.load_checkpoint(c, p)
    with pytest.raises(FileNotFoundError): T.load_checkpoint(b, tmp_path / 'missing.safetensors')


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    p = T.save_checkpoint(Regressor(), tmp_path / 'ck.safetensors', metadata={'v': 1})
    import safetensors.torch
    def broken(tensors, filename, metadata=None):
        Path(filename).write_bytes(b'half a file')
        raise OSError('disk full')
    monkeypatch.setattr(safetensors.torch, 'save_file', broken)
    with pytest.raises(OSError, match='disk full'): T.save_checkpoint(Regressor(), p, metadata={'v': 2})
    assert T.load_checkpoint(Regressor(), p) == {'v': 1}      # the old checkpoint survives
    assert sorted(os.listdir(tmp_path)) == ['ck.safetensors']  # and no temporary file is left


def _train_for_ddp_check():
    "The run both sides do: 5 steps of the tiny regressor from seed 0."
    torch.manual_seed(0)
    model = Regressor()
    hist = T.fit(model, make_batch, steps=5, lr=1e-2, progress=False)
    return {'loss': hist.loss, 'w': model.out.weight.flatten().tolist(), 'rows': model.rows_seen}


DDP_SCRIPT = '''
import json, sys, torch
torch.set_num_threads(1)
sys.path.insert(0, {tests!r})
from test_train import _train_for_ddp_check
from mpkit.train import init_distributed
res = _train_for_ddp_check()
rank, world = init_distributed()
if rank == 0:
    with open(sys.argv[1], 'w') as f: json.dump({{'world': world, **res}}, f)
'''


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def test_ddp_two_cpu_processes_match_one_process(tmp_path):
    "torchrun, 2 processes, gloo: each rank trains on its half of every global batch of 8; the losses equal one process's."
    script = tmp_path / 'ddp_fit.py'
    script.write_text(DDP_SCRIPT.format(tests=str(ROOT / 'tests')))
    env = {**os.environ, 'GLOO_SOCKET_IFNAME': 'lo', 'OMP_NUM_THREADS': '1', 'PYTHONPATH': str(ROOT)}
    two = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2', '--master_addr=127.0.0.1',
                          f'--master_port={_free_port()}', str(script), str(tmp_path / 'two.json')],
                         env=env, capture_output=True, text=True, timeout=180)
    assert two.returncode == 0, two.stdout[-2000:] + two.stderr[-3000:]
    b = json.loads((tmp_path / 'two.json').read_text())
    assert T.init_distributed() == (0, 1)
    a = _train_for_ddp_check()
    assert b['world'] == 2 and a['loss'][-1] < a['loss'][0]
    assert (a['rows'], b['rows']) == (8, 4)                     # each rank really trained on half of the batch
    torch.testing.assert_close(torch.tensor(b['loss']), torch.tensor(a['loss']), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(torch.tensor(b['w']), torch.tensor(a['w']), rtol=1e-4, atol=1e-6)
