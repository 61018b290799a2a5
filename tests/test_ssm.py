"""mpkit.ssm: the parallel scan is the step-by-step loop, the models are causal, shaped and stable."""
import pytest
import torch
from mpkit.models import Output
from mpkit.ssm import DiagonalSSM, SSMBlock, SSMEncoder, linear_scan


def test_scan_equals_the_loop():
    g = torch.Generator().manual_seed(0)
    for L in (1, 2, 7, 64, 129):
        a, b = torch.rand(2, L, 3, 4, generator=g), torch.randn(2, L, 3, 4, generator=g)
        torch.testing.assert_close(linear_scan(a, b), linear_scan(a, b, naive=True), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('selective', [False, True])
def test_ssm_scan_equals_naive_loop(selective):
    torch.manual_seed(0)
    m = DiagonalSSM(6, state=4, selective=selective).requires_grad_(False)
    if selective: torch.nn.init.normal_(m.to_dt.weight, std=0.5)
    x = torch.randn(3, 40, 6)
    torch.testing.assert_close(m(x), m(x, naive=True), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('model', [lambda: DiagonalSSM(8, selective=True), lambda: SSMBlock(8),
                                   lambda: SSMBlock(8, selective=True, conv=0)])
def test_causal_and_shaped(model):
    torch.manual_seed(0)
    m = model().requires_grad_(False)
    x = torch.randn(2, 30, 8)
    x2 = x.clone(); x2[:, 17] += 1
    y, y2 = m(x), m(x2)
    assert y.shape == x.shape
    assert torch.equal(y[:, :17], y2[:, :17]) and not torch.equal(y[:, 17:], y2[:, 17:])


def test_encoder_output_and_long_sequences():
    torch.manual_seed(0)
    enc = SSMEncoder(3, 16, 2, state=8, selective=True)
    out = enc(torch.randn(2, 25, 3))
    assert isinstance(out, Output) and out.hidden.shape == (2, 25, 16) and len(out.hidden_states) == 2
    with torch.no_grad():
        for sel in (False, True):
            long = SSMEncoder(2, 8, 2, selective=sel)(10 * torch.randn(1, 3000, 2)).hidden
            assert torch.isfinite(long).all()
    out.hidden.sum().backward()                                 # gradients reach every parameter
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in enc.parameters())


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match='dim'): DiagonalSSM(0)
    with pytest.raises(ValueError, match='state'): DiagonalSSM(4, state=-1)
    with pytest.raises(ValueError, match='dt_min'): DiagonalSSM(4, dt_min=0.5, dt_max=0.1)
    with pytest.raises(ValueError, match='expand'): SSMBlock(4, expand=0)
    with pytest.raises(ValueError, match='in_dim'): SSMEncoder(0, 4, 1)
    with pytest.raises(ValueError, match='x has shape'): DiagonalSSM(4)(torch.randn(2, 5, 3))
    with pytest.raises(ValueError, match='x has shape'): SSMBlock(4)(torch.randn(5, 4))
    with pytest.raises(ValueError, match='x has shape'): SSMEncoder(3, 4, 1)(torch.randn(2, 5, 4))
    with pytest.raises(ValueError, match='same shape'): linear_scan(torch.ones(1, 3, 2), torch.ones(1, 4, 2))
