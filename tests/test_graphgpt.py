"Tests of mpkit.methods.graphs.graphgpt: molecule view, computed property, SMTP batches, regressor."
import math
import networkx as nx
import pytest
import torch
from mpkit.data import load_molecules
from mpkit.graphs import GraphVocab
from mpkit.models import MaskedTokenModel
from mpkit.text import CLS, MASK, PAD, SEP
from mpkit.methods.graphs.graphgpt import (GraphRegressor, crippen_logp, predict_property,
                                           regression_batches, slim_molecule, smtp_batches)


@pytest.fixture(scope='module')
def molecules():
    mols = [slim_molecule(m) for m in load_molecules(200) if len(m) <= 16]
    vocab = GraphVocab(mols)
    return mols, vocab, [vocab.encode(m, shortest=False) for m in mols]


def test_slim_molecule_round_trips(molecules):
    mols, vocab, seqs = molecules
    same = lambda a, b: a == b
    for m, s in zip(mols, seqs):
        assert set(m.nodes[0]) <= {'element', 'charge'}
        assert nx.is_isomorphic(m, vocab.decode(s), node_match=same, edge_match=same)


def test_crippen_logp_matches_rdkit_and_marks_bad_smiles():
    got = crippen_logp([nx.Graph(smiles='CCO'), nx.Graph(smiles='c1ccccc1'), nx.Graph(smiles='((')])
    assert abs(got[0].item() + 0.0014) < 1e-3 and got[1] > got[0] and math.isnan(got[2])
    with pytest.raises(ValueError, match='SMILES'):
        crippen_logp([nx.Graph()])


@pytest.mark.parametrize('kind', ['cosine', 'linear', 'constant'])
def test_smtp_hides_only_graph_tokens(molecules, kind):
    _, _, seqs = molecules
    b = smtp_batches(seqs, batch_size=64, kind=kind, generator=torch.Generator().manual_seed(0))(0)
    hidden = b['labels'] != -100
    assert hidden.sum(1).min() >= 1
    assert (b['ids'][hidden] == MASK).all() and (b['ids'][:, 0] == CLS).all()
    last = (b['ids'] != PAD).sum(1) - 1
    assert (b['ids'][torch.arange(64), last] == SEP).all()
    if kind == 'constant': assert torch.equal(hidden.sum(1) + 2, last + 1)


def test_regressor_ignores_padding_and_predicts_in_target_units(molecules):
    _, vocab, seqs = molecules
    torch.manual_seed(0)
    lm = MaskedTokenModel(vocab_size=len(vocab), dim=16, depth=1, heads=2, max_len=128, pad_id=PAD,
                          causal=True)
    reg = GraphRegressor(lm, mean=3.0, std=2.0)
    y = torch.linspace(0, 1, len(seqs))
    batch = regression_batches(seqs, y, batch_size=8, generator=torch.Generator().manual_seed(0))(0)
    assert reg(**batch).loss.item() >= 0
    p = predict_property(reg, seqs[:5], batch_size=2)
    alone = torch.stack([predict_property(reg, [s])[0] for s in seqs[:5]])
    assert torch.allclose(p, alone, atol=1e-4)
    with torch.no_grad(): reg.head.weight.zero_(); reg.head.bias.zero_()
    assert torch.allclose(predict_property(reg, seqs[:3]), torch.full((3,), 3.0))   # the mean
    with pytest.raises(ValueError, match='targets has shape'):
        regression_batches(seqs, y[:-1])
