"Tests of mpkit.losses against direct computations with explicit loops."
import math
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st
from mpkit.losses import masked_cross_entropy, masked_mse, masked_l1, info_nce, codebook_diversity, swapped_prediction
from mpkit.targets import sinkhorn


def loop_regression(pred, target, mask, err):
    vals = [err(pred[b, t], target[b, t]).mean() for b in range(mask.shape[0]) for t in range(mask.shape[1]) if mask[b, t]]
    return torch.stack(vals).mean()


@settings(max_examples=30, deadline=None)
@given(b=st.integers(1, 4), l=st.integers(1, 6), d=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_masked_regression_equals_loop(b, l, d, seed):
    g = torch.Generator().manual_seed(seed)
    pred, target = torch.randn(b, l, d, generator=g), torch.randn(b, l, d, generator=g)
    mask = torch.rand(b, l, generator=g) < 0.5
    mask[0, 0] = True
    torch.testing.assert_close(masked_mse(pred, target, mask), loop_regression(pred, target, mask, lambda p, t: (p - t) ** 2))
    torch.testing.assert_close(masked_l1(pred, target, mask), loop_regression(pred, target, mask, lambda p, t: (p - t).abs()))


def test_masked_mse_hand_example_and_2d_input():
    pred = torch.tensor([[[1., 3.], [5., 5.]]])
    target = torch.tensor([[[0., 0.], [0., 0.]]])
    mask = torch.tensor([[True, False]])
    assert masked_mse(pred, target, mask).item() == pytest.approx((1 + 9) / 2)
    assert masked_l1(pred, target, mask).item() == pytest.approx((1 + 3) / 2)
    assert masked_mse(pred[..., 0], target[..., 0], mask).item() == pytest.approx(1.0)


def test_normalised_once_not_twice():
    "The mean does not shrink as more tokens are hidden (a double division would scale like 1/M)."
    g = torch.Generator().manual_seed(0)
    p, t = torch.randn(4, 50, 3, generator=g), torch.randn(4, 50, 3, generator=g)
    few, many = torch.zeros(4, 50, dtype=torch.bool), torch.ones(4, 50, dtype=torch.bool)
    few[:, :5] = True
    torch.testing.assert_close(masked_mse(p, t, many), ((p - t) ** 2).mean())
    torch.testing.assert_close(masked_mse(p, t, few), ((p[:, :5] - t[:, :5]) ** 2).mean())


def test_empty_mask():
    p = torch.randn(2, 3, 4, requires_grad=True)
    empty = torch.zeros(2, 3, dtype=torch.bool)
    with pytest.raises(ValueError, match="allow_empty"): masked_mse(p, p.detach(), empty)
    with pytest.raises(ValueError, match="allow_empty"): masked_cross_entropy(p, torch.zeros(2, 3, dtype=torch.long), empty)
    zero = masked_l1(p, p.detach() + 1, empty, allow_empty=True)
    zero.backward()
    assert zero.item() == 0 and p.grad.abs().sum() == 0


@pytest.mark.parametrize("call,msg", [
    (lambda: masked_mse(torch.randn(2, 3), torch.randn(2, 3), torch.ones(2, 3, dtype=torch.long)), "bool"),
    (lambda: masked_mse(torch.randn(2, 3), torch.randn(2, 3), torch.ones(2, 4, dtype=torch.bool)), "expected"),
    (lambda: masked_mse(torch.randn(2, 3, 2), torch.randn(2, 3, 3), torch.ones(2, 3, dtype=torch.bool)), "equal shapes"),
    (lambda: masked_l1(torch.ones(2, 3, dtype=torch.long), torch.ones(2, 3), torch.ones(2, 3, dtype=torch.bool)), "floating"),
    (lambda: masked_mse(torch.randn(0, 3), torch.randn(0, 3), torch.ones(0, 3, dtype=torch.bool)), "non-empty"),
])
def test_regression_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg): call()


def test_masked_cross_entropy_equals_loop():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 5, 7, generator=g)
    ids = torch.randint(0, 7, (3, 5), generator=g)
    mask = torch.rand(3, 5, generator=g) < 0.6
    mask[0, 0] = True
    ids_with_pad = ids.masked_fill(~mask, -100)
    vals = [-torch.log(torch.exp(logits[b, t, ids[b, t]]) / torch.exp(logits[b, t]).sum())
            for b in range(3) for t in range(5) if mask[b, t]]
    torch.testing.assert_close(masked_cross_entropy(logits, ids_with_pad, mask), torch.stack(vals).mean())
    soft = torch.softmax(torch.randn(3, 5, 7, generator=g), -1)
    vals = [-(soft[b, t] * torch.log_softmax(logits[b, t], 0)).sum() for b in range(3) for t in range(5) if mask[b, t]]
    torch.testing.assert_close(masked_cross_entropy(logits, soft, mask), torch.stack(vals).mean())
    one_hot = F.one_hot(ids, 7).float()
    torch.testing.assert_close(masked_cross_entropy(logits, one_hot, mask), masked_cross_entropy(logits, ids, mask))


@pytest.mark.parametrize("targets,mask,msg", [
    (torch.zeros(2, 3), torch.ones(2, 3, dtype=torch.bool), "integer class ids"),
    (torch.zeros(2, 4, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool), "expected ids"),
    (torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.int64), "bool"),
    (torch.full((2, 3), 5), torch.ones(2, 3, dtype=torch.bool), r"\[0, 5\)"),
    (torch.zeros(2, 3, 5, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool), "floating"),
])
def test_masked_cross_entropy_bad_input(targets, mask, msg):
    with pytest.raises(ValueError, match=msg): masked_cross_entropy(torch.randn(2, 3, 5), targets, mask)


def test_info_nce_equals_loop_and_is_deterministic():
    g = torch.Generator().manual_seed(0)
    ctx, tgt = torch.randn(3, 10, 6, generator=g), torch.randn(3, 10, 6, generator=g)
    mask = torch.rand(3, 10, generator=g) < 0.5
    mask[:, :2] = True
    res = info_nce(ctx, tgt, mask, num_negatives=5, temperature=0.1, generator=torch.Generator().manual_seed(1))
    vals, k, correct = [], 0, 0
    for b in range(3):
        for t in range(10):
            if not mask[b, t]: continue
            negs = res.negatives[k].tolist(); k += 1
            assert all(mask[b, j] and j != t for j in negs)
            sims = torch.stack([F.cosine_similarity(ctx[b, t], tgt[b, j], dim=0) for j in [t] + negs]) / 0.1
            vals.append(-torch.log_softmax(sims, 0)[0]); correct += int(sims.argmax() == 0)
    torch.testing.assert_close(res.loss, torch.stack(vals).mean())
    assert res.accuracy.item() == pytest.approx(correct / k)
    again = info_nce(ctx, tgt, mask, num_negatives=5, generator=torch.Generator().manual_seed(1))
    other = info_nce(ctx, tgt, mask, num_negatives=5, generator=torch.Generator().manual_seed(2))
    assert torch.equal(again.negatives, res.negatives) and not torch.equal(other.negatives, res.negatives)


def test_info_nce_perfect_context_and_duplicate_targets():
    tgt = torch.eye(6)[None].repeat(2, 1, 1)
    mask = torch.ones(2, 6, dtype=torch.bool)
    res = info_nce(tgt * 3, tgt, mask, num_negatives=20, generator=torch.Generator().manual_seed(0))
    assert res.accuracy.item() == 1.0 and res.loss.item() < 1e-3
    same = torch.ones(1, 4, 3)  # every distractor equals the positive: all are -inf, the loss is 0
    res = info_nce(same, same, torch.ones(1, 4, dtype=torch.bool), num_negatives=3)
    assert res.loss.item() == 0 and torch.isinf(res.logits[:, 1:]).all()


def test_info_nce_gradient_and_bad_input():
    ctx = torch.randn(2, 5, 4, requires_grad=True)
    tgt = torch.randn(2, 5, 4)
    mask = torch.tensor([[True, True, False, False, False], [False, True, True, True, False]])
    info_nce(ctx, tgt, mask, num_negatives=4).loss.backward()
    assert ctx.grad[~mask].abs().sum() == 0 and ctx.grad[mask].abs().sum() > 0
    with pytest.raises(ValueError, match=">= 2 masked"): info_nce(ctx, tgt, torch.eye(5, dtype=torch.bool)[:2])
    with pytest.raises(ValueError, match="hides no position"): info_nce(ctx, tgt, torch.zeros(2, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="bool"): info_nce(ctx, tgt, mask.long())
    with pytest.raises(ValueError, match=r"\(B, L, D\)"): info_nce(ctx, tgt[:, :4], mask)


def test_codebook_diversity():
    probs = torch.tensor([[0.25, 0.25, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0]])
    ppl = math.exp(-(0.25 * math.log(0.25) * 2 + 0.5 * math.log(0.5))) + 1.0
    assert codebook_diversity(probs).item() == pytest.approx((8 - ppl) / 8, abs=1e-5)
    assert codebook_diversity(torch.full((10,), 0.1)).item() == pytest.approx(0.0, abs=1e-5)
    with pytest.raises(ValueError, match="float"): codebook_diversity(torch.ones(2, 2, 2))


def test_swapped_prediction_equals_loop_and_stops_gradient_in_targets():
    g = torch.Generator().manual_seed(0)
    sa, sb = torch.randn(8, 5, generator=g, requires_grad=True), torch.randn(8, 5, generator=g, requires_grad=True)
    loss = swapped_prediction(sa, sb, eps=0.05, iters=3, temperature=0.1)
    qa, qb = sinkhorn(sa.detach()), sinkhorn(sb.detach())
    total = sum(-(qa[i, k] * torch.log_softmax(sb[i] / 0.1, 0)[k] + qb[i, k] * torch.log_softmax(sa[i] / 0.1, 0)[k])
                for i in range(8) for k in range(5))
    torch.testing.assert_close(loss, total / 16)
    loss.backward()
    expected = torch.autograd.grad(-(qb * F.log_softmax(sa / 0.1, 1)).sum(1).mean() / 2, sa)[0]
    torch.testing.assert_close(sa.grad, expected)
    with pytest.raises(ValueError, match="equal shapes"): swapped_prediction(sa, sb[:4])
    with pytest.raises(ValueError, match=r"\(B, K\)"): swapped_prediction(sa[0], sb[0])
