"""mpkit.graphs: every shipped molecule survives the trip graph -> tokens -> graph, attributes included."""
import time
import networkx as nx
import pytest
import torch
from mpkit.data import load_graph, load_molecules
from mpkit.graphs import GraphVocab, eulerian_walk, graph_to_tokens, tokens_to_graph

SAME = lambda a, b: a == b   # node_match / edge_match: equal attribute dicts


@pytest.fixture(scope='module')
def mols():
    return load_molecules()


def same_graph(a, b) -> bool:
    return nx.is_isomorphic(a, b, node_match=SAME, edge_match=SAME)


def test_every_shipped_molecule_round_trips(mols):
    start = time.perf_counter()
    bad = [m.graph['nci_id'] for m in mols if not same_graph(m, tokens_to_graph(graph_to_tokens(m)))]
    elapsed = time.perf_counter() - start
    assert len(mols) == 4924 and bad == []
    assert elapsed < 60, f'{len(mols)} round trips took {elapsed:.1f} s (about 5 s expected)'


def test_salts_split_into_components_round_trip(mols):
    "pysmiles joins a salt's parts by an order-0 bond: without it each salt is a disconnected graph."
    salts = []
    for m in mols:
        h = m.copy()
        h.remove_edges_from([(u, v) for u, v, o in m.edges(data='order') if o == 0])
        if not nx.is_connected(h): salts.append(h)
    assert len(salts) > 100
    for h in salts:
        tokens = graph_to_tokens(h)
        assert tokens.count('[SEP]') == nx.number_connected_components(h) - 1
        assert same_graph(h, tokens_to_graph(tokens))


def test_random_walks_and_networkx_eulerize_round_trip(mols):
    gen = torch.Generator().manual_seed(0)
    for m in mols[::25]:
        walks = {tuple(eulerian_walk(m, generator=gen)) for _ in range(3)}
        assert len(m) < 4 or len(walks) > 1                     # the generator varies the walk
        assert same_graph(m, tokens_to_graph(graph_to_tokens(m, generator=gen)))
        assert same_graph(m, tokens_to_graph(graph_to_tokens(m, shortest=True)))


def test_single_nodes_and_other_graphs():
    ion = nx.Graph()
    ion.add_node('Cl', element='Cl', charge=-1)
    two = nx.disjoint_union(ion, ion)                            # two single atoms
    assert graph_to_tokens(two) == ['n0', 'element=Cl', 'charge=-1', '[SEP]', 'n1', 'element=Cl', 'charge=-1']
    for G in (ion, two, nx.complete_graph(5), nx.petersen_graph(), load_graph('les_miserables')):
        assert same_graph(G, tokens_to_graph(graph_to_tokens(G)))
    loop = nx.Graph([(0, 1), (1, 1)])                            # a self-loop is an edge like any other
    assert same_graph(loop, tokens_to_graph(graph_to_tokens(loop)))


def test_vocab_ids_round_trip(mols):
    vocab = GraphVocab(mols)
    assert vocab.tokens[:5] == ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    for m in mols[::50]:
        ids = vocab.encode(m)
        assert ids[0] == 2 and ids[-1] == 3 and max(ids) < len(vocab)
        assert same_graph(m, vocab.decode(torch.tensor(ids + [0, 0])))
