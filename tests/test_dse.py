"""Behaviour of the DSE method module (mpkit.methods.text.dse) on tiny models and synthetic sentences."""
import math
import pytest
import torch
from mpkit.models import MaskedTokenModel
from mpkit.text import PAD
from mpkit.methods.text.dse import adjacent_pairs, pair_features, PairScorer, TwoTower, pair_batches, pair_logits


def _seqs(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [[2] + torch.randint(10, 60, (int(torch.randint(3, 9, (1,), generator=g)),), generator=g).tolist() + [3] for _ in range(n)]


def _enc(depth=2):
    torch.manual_seed(0)
    return MaskedTokenModel(vocab_size=60, dim=16, depth=depth, heads=2, max_len=16, pad_id=PAD)


def test_adjacent_pairs_labels_follow_the_reading_order():
    addr = [0] * 10 + [1] * 10 + [2] * 10
    p = adjacent_pairs(addr, negatives=3, generator=torch.Generator().manual_seed(0))
    a = torch.tensor(addr)
    pos, neg = p[p[:, 2] == 1], p[p[:, 2] == 0]
    assert torch.equal(pos[:, 1] - pos[:, 0], torch.ones(len(pos), dtype=torch.long)) and len(pos) == 27
    assert (a[pos[:, 0]] == a[pos[:, 1]]).all() and (a[neg[:, 0]] != a[neg[:, 1]]).all() and len(neg) == 81
    same = adjacent_pairs(addr, negatives=3, same_address=True, min_gap=3, generator=torch.Generator().manual_seed(0))
    sneg = same[same[:, 2] == 0]
    assert (a[sneg[:, 0]] == a[sneg[:, 1]]).all() and ((sneg[:, 0] - sneg[:, 1]).abs() >= 3).all()
    with pytest.raises(ValueError, match='one address only'):
        adjacent_pairs([4] * 5)


def test_scorers_are_pair_functions_blind_to_padding():
    seqs = _seqs()
    pairs = adjacent_pairs([0] * 20 + [1] * 20, generator=torch.Generator().manual_seed(0))
    b = pair_batches(seqs, pairs, batch_size=6, generator=torch.Generator().manual_seed(0))(0)
    for model in (PairScorer(_enc()), TwoTower(_enc())):
        model.eval()
        with torch.no_grad():
            z = model(b['a'], b['b']).pred
            na, nb = int((b['a'][2] != PAD).sum()), int((b['b'][2] != PAD).sum())
            assert torch.allclose(model(b['a'][2:3, :na], b['b'][2:3, :nb]).pred, z[2:3], atol=1e-5)
        assert torch.allclose(pair_logits(model, seqs, pairs[:7], batch_size=3), pair_logits(model, seqs, pairs[:7]), atol=1e-5)
        out = model(b['a'], b['b'], labels=b['labels'])
        assert math.isfinite(out.loss.item())
        with pytest.raises(ValueError, match='one of them'):
            model(b['a'], b['b'], target=torch.zeros(6), labels=b['labels'])
    with pytest.raises(ValueError, match='>= 2'):
        PairScorer(_enc(depth=1))


def test_distillation_loss_is_the_squared_error_to_the_teacher():
    seqs = _seqs()
    pairs = adjacent_pairs([0] * 20 + [1] * 20, generator=torch.Generator().manual_seed(0))
    t = torch.linspace(-2, 2, len(pairs))
    b = pair_batches(seqs, pairs, targets=t, batch_size=5, generator=torch.Generator().manual_seed(0))(0)
    st = TwoTower(_enc())
    out = st(**b)
    assert torch.isclose(out.loss, ((out.pred - b['target']) ** 2).mean())
    assert torch.equal(pair_features(torch.ones(1, 2), torch.zeros(1, 2)), torch.tensor([[1., 1., 0., 0., 0., 0., 1., 1.]]))
