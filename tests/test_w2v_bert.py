"""mpkit.methods.speech.w2v_bert: feature encoder, temperature schedule, model and code ids."""
import pytest
import torch
from mpkit.methods.speech.w2v_bert import ConvFeatureEncoder, gumbel_temperature, W2vBERT, JointLog, code_ids
from mpkit.masking import hubert_span_mask


def gen(seed=0): return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize('stack', [1, 2, 3])
def test_feature_encoder_keeps_tokens_apart(stack):
    torch.manual_seed(0)
    fe = ConvFeatureEncoder(16, 8, stack=stack, channels=4)
    x = torch.randn(2, 12 * stack + 1, 16, generator=gen())
    y = x.clone(); y[:, 3 * stack:4 * stack] += 1.0                  # the frames of token 3 only
    with torch.no_grad(): moved = (fe(y) - fe(x)).abs().amax(-1) > 1e-6
    assert fe(x).shape == (2, (12 * stack + 1) // stack, 8)
    assert moved[:, 3].all() and moved.sum() == 2


def test_temperature_schedule_is_monotone_and_clamped():
    taus = [gumbel_temperature(s, 200) for s in range(260)]
    assert taus[0] == pytest.approx(2.0) and taus[-1] == pytest.approx(0.5)
    assert all(a >= b for a, b in zip(taus, taus[1:]))
    with pytest.raises(ValueError, match='0 < end <= start'): gumbel_temperature(1, 10, start=0.5, end=2.0)


def test_model_loss_targets_and_no_leak():
    torch.manual_seed(0)
    model = W2vBERT(16, 8, dim=32, heads=2, pos_groups=4, num_negatives=5)
    x = torch.randn(3, 40, 16, generator=gen())
    mask = hubert_span_mask(3, 20, p=0.1, span=4, generator=gen(1))
    out = model(x, mask, generator=gen(2))
    assert out.pred.shape == (3, 20, 8) and out.target.dtype == torch.long and torch.isfinite(out.loss)
    assert set(model.last_losses) >= {'contrastive', 'diversity', 'mlm', 'perplexity'}
    model.eval()
    x2 = x.clone().reshape(3, 20, 2, 16); x2[mask] = 9.0; x2 = x2.reshape(3, 40, 16)
    with torch.no_grad():
        torch.testing.assert_close(model(x2, mask).pred, model(x, mask).pred)
        ids = code_ids(model, [x[0], x[1, :31]])
    assert [len(i) for i in ids] == [20, 15]
    torch.testing.assert_close(ids[0], model(x[:1]).target[0])


def test_joint_log_anneals_the_quantizer():
    model = W2vBERT(16, 8, dim=32, heads=2, pos_groups=4)
    model.last_losses = dict(contrastive=1.0, mlm=2.0)
    log = JointLog(10)
    for step in range(10): log({'step': step}, model)
    assert model.quantizer.tau == pytest.approx(0.5) and len(log.curve('mlm')) == 10
    assert log.curve('tau')[0] == pytest.approx(2.0)
