import numpy as np, pytest, torch
from mpkit.probes import linear_probe, pool, extract_features


def _blobs(n_per=60, k=4, d=8, sep=3.0, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * sep
    y = np.repeat(np.arange(k), n_per)
    return centres[y] + rng.normal(size=(len(y), d)), y


def test_probe_accepts_tensors_and_checks_input():
    x, y = _blobs()
    idx = np.random.default_rng(1).permutation(len(y))
    x, y = x[idx], y[idx]
    r = linear_probe(torch.tensor(x[:160]), torch.tensor(y[:160]), torch.tensor(x[160:]), torch.tensor(y[160:]))
    assert r.accuracy > 0.9
    with pytest.raises(ValueError, match='single class'):
        linear_probe(x[:10], np.zeros(10), x[10:20], y[10:20])
    with pytest.raises(ValueError, match=r'\(N, D\)'):
        linear_probe(x[:10, 0], y[:10], x[10:20], y[10:20])


def test_pool_ignores_padding():
    h = torch.randn(2, 5, 3)
    pad = torch.tensor([[False] * 5, [False, False, True, True, True]])
    out = pool(h, pad)
    torch.testing.assert_close(out[1], h[1, :2].mean(0))
    with pytest.raises(ValueError, match='expected a bool tensor'):
        pool(h, pad.long())


def test_extract_features_batches():
    out = extract_features(lambda b: b * 2, torch.arange(10.).reshape(10, 1), batch_size=3)
    torch.testing.assert_close(out, torch.arange(10.).reshape(10, 1) * 2)
    with pytest.raises(ValueError, match='no inputs'):
        extract_features(lambda b: b, torch.empty(0, 2))
