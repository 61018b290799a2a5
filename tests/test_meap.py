"""Behaviour of the MEAP method module (mpkit.methods.text.meap) on tiny models and synthetic id streams."""
import math
import pytest
import torch
from mpkit.text import SEP, MASK
from mpkit.methods.text.meap import meap_inputs, kv_episode, CausalLM, retrieval_by_depth, next_token_loss, sotu_stream

KEYS, VALUES = torch.arange(100, 116), torch.arange(200, 210)


def _stream(n=2000, seed=0):
    "Sentences of 5-12 random 'word' ids (300-399), each ending with [SEP]."
    g = torch.Generator().manual_seed(seed)
    out = []
    while len(out) < n:
        out += torch.randint(300, 400, (int(torch.randint(5, 13, (1,), generator=g)),), generator=g).tolist() + [SEP]
    return torch.tensor(out[:n])


def test_meap_inputs_hide_inputs_never_targets():
    ids = torch.randint(10, 90, (8, 41), generator=torch.Generator().manual_seed(0))
    b = meap_inputs(ids, mask_ratio=0.25, generator=torch.Generator().manual_seed(1))
    assert (b.mask.sum(1) == 10).all()
    assert torch.equal(b.labels, ids[:, 1:]) and torch.equal(b.inputs[~b.mask], ids[:, :-1][~b.mask])
    assert (b.inputs[b.mask] == MASK).all()
    again = meap_inputs(ids, mask_ratio=0.25, generator=torch.Generator().manual_seed(1))
    assert torch.equal(again.mask, b.mask)
    with pytest.raises(ValueError, match=r'\[0, 1\)'):
        meap_inputs(ids, mask_ratio=-0.1)
    with pytest.raises(ValueError, match='integer tensor'):
        meap_inputs(ids.float())


@pytest.mark.parametrize('depth', [0.0, 0.5, 1.0])
def test_episode_puts_the_asked_fact_near_its_depth_and_asks_it_first(depth):
    s = _stream()
    for k in range(20):
        ep = kv_episode(s, torch.tensor([depth, 0.3, 0.9]), KEYS, VALUES, length=80, generator=torch.Generator().manual_seed(k))
        assert len(ep.ids) == 80 and torch.equal(ep.ids[ep.needle:ep.needle + 2], ep.ids[ep.query:ep.query + 2])
        assert ep.ids[ep.needle] in KEYS and ep.ids[ep.needle + 1] in VALUES
        text_before = ep.needle - 3 * int(torch.isin(ep.ids[:ep.needle], KEYS).sum())   # facts are 3 ids each
        assert abs(text_before - depth * (80 - 18)) <= 13                                    # within one sentence


def test_retrieval_by_depth_and_next_token_loss_shapes():
    s = _stream()
    torch.manual_seed(0)
    m = CausalLM(vocab_size=400, dim=16, depth=2, heads=2, max_len=64)
    r = retrieval_by_depth(m, s, KEYS, VALUES, depths=(0.0, 1.0), n=8, generator=torch.Generator().manual_seed(0))
    assert len(r.accuracy) == 2 and all(0 <= a <= 1 for a in r.accuracy)
    assert len(r.entropy[0]) == 2 and all(0 <= e <= math.log(64) + 1e-4 for row in r.entropy for e in row)
    assert abs(next_token_loss(m, s) - math.log(400)) < 0.5
    with pytest.raises(ValueError, match='list of sentences'):
        sotu_stream('a string', None)
