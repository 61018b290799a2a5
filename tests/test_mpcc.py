"""Behaviour of the MPCC method module (mpkit.methods.multimodal.mpcc): rule scenes and their answer slot,
occlusion, the hidden-garment batches, the namer's masking, the pieces of RL fine-tuning with prior
sampling (sampling, reward, GRPO advantage, policy gradient) and a tiny run in which both SFT and RL learn."""
import copy
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mpkit.data import scenes
from mpkit.train import fit
from mpkit.methods.multimodal.mpcc import (RULES_ID, RULES_OOD, HiddenObjectNamer, PriorSamplingRFT,
                                           group_advantages, hidden_hits, hide_batches, occlude,
                                           policy_gradient_loss, rule_regions, sample_answers,
                                           verifiable_reward)


@pytest.fixture(scope='module')
def data():
    return rule_regions(scenes(300, rules=RULES_ID, seed=11))


def test_rules_are_disjoint_keys_with_shared_answers():
    keys = [k for k, _ in RULES_ID + RULES_OOD]
    assert len(set(keys)) == len(keys)
    assert {a for _, a in RULES_OOD} <= {a for _, a in RULES_ID}


def test_answer_slot_and_occlusion(data):
    rows = torch.arange(len(data.labels))
    sc = scenes(300, rules=RULES_ID, seed=11)
    assert [int(c) for c in data.labels[rows, data.answer_slot]] == [r[1] for r in sc['rule']]
    dark = occlude(sc['images'], data.boxes, data.answer_slot)
    for i in range(5):
        x0, y0, x1, y1 = data.boxes[i, data.answer_slot[i]].tolist()
        assert dark[i, :, y0:y1, x0:x1].abs().max() == 0
    assert torch.equal(dark.sum((1, 2, 3)) <= sc['images'].sum((1, 2, 3)), torch.ones(300, dtype=torch.bool))
    with pytest.raises(ValueError, match='hidden'):
        occlude(sc['images'], data.boxes, data.answer_slot.float())
    with pytest.raises(ValueError, match='rule'):
        rule_regions(scenes(3, seed=0))


def test_batches_hide_real_regions(data):
    for hide in ('answer', 'random'):
        b = hide_batches(data, hide=hide, batch_size=500, generator=torch.Generator().manual_seed(0))(0)
        assert not b['region_pad'].gather(1, b['hidden'][:, None]).any()
    b = hide_batches(data, batch_size=500)(0)
    assert set(b['answer'].tolist()) <= {1, 5, 9}
    with pytest.raises(ValueError, match='hide'):
        hide_batches(data, hide='key')


def test_namer_cannot_see_the_hidden_crop(data):
    torch.manual_seed(0)
    m = HiddenObjectNamer(data.regions.shape[-1], dim=32, depth=1).eval()
    b = hide_batches(data, batch_size=16)(0)
    x = b['regions'].clone()
    x[torch.arange(16), b['hidden'], :-5] = 1.0
    with torch.no_grad():
        assert torch.allclose(m(x, b['region_pad'], b['hidden']).pred, m(**b).pred, atol=1e-5)
    with pytest.raises(ValueError, match='hidden'):
        m(b['regions'], b['region_pad'], b['hidden'][:4])


def test_sampling_reward_advantage_and_gradient():
    lg = torch.log(torch.tensor([[0.9, 0.1]])).repeat(4000, 1)
    a, fp = sample_answers(lg, group=4, n_prior=1, prior_logits=lg.flip(1),
                           generator=torch.Generator().manual_seed(0))
    assert abs((a[:, 0] == 1).float().mean().item() - 0.9) < 0.02        # the prior's column
    assert abs((a[:, 1:] == 0).float().mean().item() - 0.9) < 0.02       # the policy's columns
    assert fp[:, 0].all() and not fp[:, 1:].any()
    r = verifiable_reward(torch.tensor([[0, 0, 1, 1]]), torch.tensor([0]))
    A = group_advantages(r)
    assert torch.allclose(A.sum(), torch.tensor(0.0), atol=1e-6) and A[0, 0] > 0 > A[0, 2]
    z = torch.zeros(1, 2, requires_grad=True)
    policy_gradient_loss(z, torch.tensor([[0, 0, 1, 1]]), A).backward()
    assert z.grad[0, 0] < 0 < z.grad[0, 1]                                # class 0 pushed up
    with pytest.raises(ValueError, match='prior_logits'):
        sample_answers(lg, n_prior=1)


def test_sft_and_rl_both_learn_the_task(data):
    torch.manual_seed(0)
    base = HiddenObjectNamer(data.regions.shape[-1], dim=32, depth=1)
    fit(base, hide_batches(data, generator=torch.Generator().manual_seed(0)), steps=60, lr=3e-3,
        progress=False, live_plot=False)
    before = hidden_hits(base, data).mean()
    assert before > 0.45                                                 # 3 answers: chance ~ 1/3
    rl = PriorSamplingRFT(copy.deepcopy(base), seed=0)
    fit(rl, hide_batches(data, generator=torch.Generator().manual_seed(1)), steps=60, lr=1e-3,
        progress=False, live_plot=False)
    assert all(torch.equal(p, q) for p, q in zip(rl.prior.parameters(), base.parameters()))  # frozen
    assert hidden_hits(rl.policy, data).mean() >= before - 0.05
