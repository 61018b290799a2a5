"""mpkit.methods.video.mcvd: clip layouts, task and training masks, zeroed conditioning, the denoiser,
the loss, completion and the error of the generated frames."""
import pytest
import torch
from mpkit.diffusion import DDPMSchedule, diffusion_loss
from mpkit.methods.video.mcvd import (TASKS, ClipLayout, FrameDenoiser, block_mask, complete,
                                      generated_mse, interpolate_frames, mask_conditioning,
                                      mcvd_loss, task_mask)

L = ClipLayout(2, 2, 2)


@pytest.fixture(scope='module')
def clips():
    return torch.rand(4, 6, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1


def test_task_masks():
    assert L.frames == 6 and L.generated.tolist() == [False, False, True, True, False, False]
    assert task_mask('prediction', L).tolist() == [False, False, True, True, True, True]
    assert task_mask('past prediction', L).tolist() == [True, True, True, True, False, False]
    assert torch.equal(task_mask('interpolation', L), L.generated)
    assert task_mask('generation', L).all() and len(TASKS) == 4
    with pytest.raises(ValueError, match='task'): task_mask('rewind', L)
    with pytest.raises(ValueError, match='layout'): task_mask('prediction', (2, 2, 2))


def test_block_mask_shares_and_draws():
    m = block_mask(4000, L, generator=torch.Generator().manual_seed(0))
    assert m.shape == (4000, 6) and m[:, L.generated].all()
    for task in TASKS:
        share = (m == task_mask(task, L)).all(1).float().mean().item()
        assert abs(share - 0.25) < 0.03
    p = block_mask(50, L, p_past=0, p_future=1, generator=torch.Generator().manual_seed(0))
    assert (p == task_mask('prediction', L)).all()
    a, b = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    block_mask(7, L, generator=a); block_mask(7, L, p_past=1, generator=b)
    assert torch.equal(torch.rand(3, generator=a), torch.rand(3, generator=b))
    with pytest.raises(ValueError, match='p_future'): block_mask(3, L, p_future=2)


def test_mask_conditioning_keeps_the_current_block(clips):
    out = mask_conditioning(clips, task_mask('prediction', L), L)
    assert torch.equal(out[:, :4], clips[:, :4]) and (out[:, 4:] == 0).all()
    with pytest.raises(ValueError, match='current'):
        mask_conditioning(clips, torch.zeros(6, dtype=torch.bool), L)
    with pytest.raises(ValueError, match='clips has shape'):
        mask_conditioning(clips[:, :5], L.generated, L)


def test_denoiser_loss_and_completion(clips):
    torch.manual_seed(0)
    net = FrameDenoiser(L, width=8)
    sched = DDPMSchedule(5, beta_start=0.05, beta_end=0.5)
    eps = net(clips, torch.tensor([0, 1, 2, 3]))
    assert eps.shape == clips.shape and (eps[:, ~L.generated] == 0).all()
    hid = block_mask(4, L, generator=torch.Generator().manual_seed(0))
    loss = mcvd_loss(net, clips, hid, sched, L, generator=torch.Generator().manual_seed(2))
    x0 = clips.clone(); x0[hid & ~L.generated] = 0
    want = diffusion_loss(net, x0, sched, mask=L.generated.view(1, -1, 1, 1),
                          generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(loss, want)
    for task in TASKS:
        out = complete(net, sched, clips, task_mask(task, L), L,
                       generator=torch.Generator().manual_seed(0))
        given = ~task_mask(task, L)
        assert torch.equal(out[:, given], clips[:, given])
    with pytest.raises(ValueError, match='width'): FrameDenoiser(L, width=6)
    with pytest.raises(ValueError, match='x has shape'):
        net(clips[:, :5], torch.zeros(4, dtype=torch.long))


def test_errors_and_interpolation(clips):
    assert torch.equal(generated_mse(clips, clips, L), torch.zeros(4))
    torch.testing.assert_close(generated_mse(clips + 0.2, clips, L), torch.full((4,), 0.01))
    lin = interpolate_frames(clips, ClipLayout(2, 3, 1))
    torch.testing.assert_close(lin[:, 3], (clips[:, 1] + clips[:, 5]) / 2)
    with pytest.raises(ValueError, match='pred has shape'): generated_mse(clips[:2], clips, L)
    with pytest.raises(ValueError, match='layout'):
        interpolate_frames(clips, ClipLayout(0, 2, 4))
