"""mpkit.methods.tabular.limix: the SCM prior draws valid tables, episodes hide only observed query
cells, the in-context model reads the context only, and short pretraining beats the mean imputer on
held-out synthetic tables (no real-table claim here: the notebook makes it)."""
import math
import networkx as nx
import numpy as np
import pytest
import torch
from mpkit.methods.tabular.limix import (REAL_TABLES, TableContextModel, held_out_episodes,
                                         impute_scores, mask_queries, prior_batches, real_table,
                                         scm_tables, synthetic_scores)

def test_prior_is_valid_and_seeded():
    t = scm_tables(32, 300, 7, missing_rate=0.25, generator=torch.Generator().manual_seed(5))
    assert all(nx.is_directed_acyclic_graph(nx.DiGraph(d.numpy())) for d in t.dag)
    assert abs(t.missing.float().mean().item() - 0.25) < 0.015
    assert torch.isnan(t.x).eq(t.missing).all()
    codes = t.complete.transpose(1, 2)[t.categorical]
    assert ((codes >= 0) & (codes < t.n_classes[t.categorical][:, None])).all()
    again = scm_tables(32, 300, 7, missing_rate=0.25, generator=torch.Generator().manual_seed(5))
    assert torch.equal(again.complete, t.complete)

@pytest.mark.parametrize('kw, word', [(dict(missing_rate=0.6), 'missing_rate'),
                                      (dict(max_classes=1), 'max_classes'),
                                      (dict(noise=(1, 0)), 'noise')])
def test_prior_refuses_bad_input(kw, word):
    with pytest.raises(ValueError, match=word): scm_tables(2, 10, 3, **kw)

def test_episode_hides_observed_query_cells_only():
    t = scm_tables(16, 60, 6, missing_rate=0.2, generator=torch.Generator().manual_seed(0))
    ep = mask_queries(t, 40, generator=torch.Generator().manual_seed(1))
    assert not ep.query[:, :40].any() and not (ep.query & t.missing).any() and ep.query.any()

def test_queries_read_only_the_context():
    torch.manual_seed(0)
    m = TableContextModel().eval()
    ep = mask_queries(scm_tables(4, 50, 5, generator=torch.Generator().manual_seed(0)), 30,
                      generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a = m(ep.x, ep.query, ep.categorical, 30).extras['z']
        x2 = ep.x.clone(); x2[:, 40:] = 3.0
        b = m(x2, ep.query, ep.categorical, 30).extras['z']
    assert torch.allclose(a[:, :40], b[:, :40], atol=1e-5)

def test_short_pretraining_beats_the_mean_imputer():
    from mpkit.train import fit
    torch.manual_seed(0)
    m = TableContextModel()
    fit(m, prior_batches(generator=torch.Generator().manual_seed(0)), steps=300, lr=3e-3, seed=0,
        progress=False, live_plot=False)
    s = synthetic_scores(m, held_out_episodes(tables=32))
    d = s['mean_se'] - s['model_se']
    assert d.mean() > 3 * d.std() / math.sqrt(len(d))

def test_real_tables_fit_the_model():
    for name in REAL_TABLES:
        t = real_table(name)
        assert t.x.shape[1] <= 14 and t.categorical[-1]
    with pytest.raises(ValueError, match='RealTable'):
        impute_scores(TableContextModel(), np.zeros((3, 3)))
