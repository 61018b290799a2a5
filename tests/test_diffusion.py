"""mpkit.diffusion: the schedule, the forward process and one reverse step equal diffusers'
DDPMScheduler; masked training and sampling keep the given part; bad input raises ValueError naming
the argument."""
import pytest
import torch
from diffusers import DDPMScheduler
from diffusers.models.embeddings import get_timestep_embedding
from mpkit.diffusion import DDPMSchedule, diffusion_loss, sample, timestep_embedding

KINDS = {'linear': 'linear', 'cosine': 'squaredcos_cap_v2'}


def pair(kind, steps=1000, beta_start=1e-4, beta_end=0.02):
    ours = DDPMSchedule(steps, beta_start=beta_start, beta_end=beta_end, kind=kind)
    theirs = DDPMScheduler(num_train_timesteps=steps, beta_start=beta_start, beta_end=beta_end,
                           beta_schedule=KINDS[kind], variance_type='fixed_small',
                           clip_sample=False, prediction_type='epsilon')
    return ours, theirs


@pytest.mark.parametrize('kind,steps,b0,b1', [('linear', 1000, 1e-4, 0.02),
                                              ('cosine', 1000, 1e-4, 0.02),
                                              ('linear', 100, 1e-3, 0.2), ('cosine', 50, 1e-4, 0.02)])
def test_schedule_equals_diffusers(kind, steps, b0, b1):
    ours, theirs = pair(kind, steps, b0, b1)
    assert len(ours) == steps
    torch.testing.assert_close(ours.betas, theirs.betas, rtol=0, atol=0)
    torch.testing.assert_close(ours.alphas, theirs.alphas, rtol=0, atol=0)
    torch.testing.assert_close(ours.alphas_cumprod, theirs.alphas_cumprod, rtol=0, atol=0)
    variance = torch.stack([theirs._get_variance(t) for t in range(steps)])
    torch.testing.assert_close(ours.posterior_variance.clamp(min=1e-20), variance,
                               rtol=1e-6, atol=1e-12)
    assert ours.alphas_cumprod_prev[0] == 1
    assert torch.equal(ours.alphas_cumprod_prev[1:], ours.alphas_cumprod[:-1])


@pytest.mark.parametrize('kind', ['linear', 'cosine'])
def test_add_noise_and_step_equal_diffusers(kind):
    ours, theirs = pair(kind)
    g = torch.Generator().manual_seed(0)
    x0, noise = torch.randn(6, 3, 8, generator=g), torch.randn(6, 3, 8, generator=g)
    t = torch.tensor([0, 1, 10, 500, 998, 999])
    torch.testing.assert_close(ours.add_noise(x0, noise, t), theirs.add_noise(x0, noise, t),
                               rtol=0, atol=0)
    x_t, eps = torch.randn(6, 3, 8, generator=g), torch.randn(6, 3, 8, generator=g)
    for step in (999, 998, 500, 10, 1, 0):
        a = ours.step(eps, step, x_t, generator=torch.Generator().manual_seed(step))
        b = theirs.step(eps, step, x_t, generator=torch.Generator().manual_seed(step)).prev_sample
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)   # the same noise: the same draw
        torch.testing.assert_close(ours.predict_x0(x_t, eps, step),
                                   theirs.step(eps, step, x_t).pred_original_sample, rtol=1e-5, atol=1e-5)


def test_timestep_embedding_equals_diffusers():
    t = torch.tensor([0, 3, 17, 999])
    for dim in (8, 32, 33):
        ref = get_timestep_embedding(t, dim, flip_sin_to_cos=True, downscale_freq_shift=0)
        torch.testing.assert_close(timestep_embedding(t, dim), ref, rtol=1e-5, atol=1e-5)


def smooth_denoiser(x, t, mask):
    "A fixed, deterministic 'denoiser': a scaled copy of its input (enough to test the plumbing)."
    return 0.5 * x


def test_loss_masks_and_keeps_the_given_part():
    sched = DDPMSchedule(20, beta_start=1e-2, beta_end=0.5)
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(4, 2, 10, generator=g)
    mask = (torch.arange(10) >= 6).expand(4, 1, 10)              # (B, 1, L): frames 6.. generated
    seen = {}

    def spy(x_in, t, m):
        seen.update(x_in=x_in, t=t, m=m)
        return torch.zeros_like(x_in)
    loss = diffusion_loss(spy, x0, sched, mask=mask, generator=g)
    assert torch.equal(seen['x_in'][..., :6], x0[..., :6]) and seen['m'] is mask
    assert (seen['x_in'][..., 6:] != x0[..., 6:]).all() and seen['t'].shape == (4,)
    assert 0.3 < loss.item() < 3                                  # zero prediction: the noise's variance
    # a denoiser that is wrong only on the given part scores zero
    exact = {}

    def cheat(x_in, t, m):
        return torch.where(m.expand_as(x_in), exact['noise'], torch.full_like(x_in, 1e6))
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    torch.randint(0, 20, (4,), generator=g1)
    exact['noise'] = torch.randn(x0.shape, generator=g1)
    assert diffusion_loss(cheat, x0, sched, mask=mask, generator=g2).item() == 0


@pytest.mark.parametrize('replace', ['clean', 'noised'])
def test_sample_keeps_the_given_part(replace):
    sched = DDPMSchedule(10, beta_start=1e-2, beta_end=0.5)
    x0 = torch.randn(3, 2, 8, generator=torch.Generator().manual_seed(1))
    mask = torch.arange(8) >= 5
    out = sample(smooth_denoiser, sched, x0.shape, x0=x0, mask=mask, replace=replace,
                 generator=torch.Generator().manual_seed(0))
    assert out.shape == x0.shape and torch.equal(out[..., :5], x0[..., :5])
    assert not torch.equal(out[..., 5:], x0[..., 5:])
    again = sample(smooth_denoiser, sched, x0.shape, x0=x0, mask=mask, replace=replace,
                   generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, again)
    # replacement in another domain: diffuse DCT-like orthogonal coefficients, mask the frames
    q, _ = torch.linalg.qr(torch.randn(8, 8, generator=torch.Generator().manual_seed(2)))
    decode, encode = (lambda c: c @ q.T), (lambda x: x @ q)
    coef = encode(x0)
    out = sample(smooth_denoiser, sched, coef.shape, x0=coef, mask=mask, replace=replace,
                 replace_in=(decode, encode), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(decode(out)[..., :5], x0[..., :5], rtol=1e-5, atol=1e-5)


def test_free_sample_of_gaussian_data_with_the_exact_denoiser():
    "For x0 ~ N(0, s^2) the best noise prediction is known; DDPM's 1000 steps with it give back about s^2."
    sched, s = DDPMSchedule(1000), 0.5

    def oracle(x, t, mask):
        abar = sched.alphas_cumprod[t].reshape(-1, 1)
        return (1 - abar).sqrt() * x / (abar * s ** 2 + 1 - abar)
    x = sample(oracle, sched, (20000, 1), generator=torch.Generator().manual_seed(0))
    assert abs(x.std().item() - s) < 0.015 and abs(x.mean().item()) < 0.015


def test_bad_input_names_the_argument():
    sched = DDPMSchedule(10)
    x0 = torch.randn(2, 5)
    bad = {
        'steps': lambda: DDPMSchedule(0),
        'beta_start': lambda: DDPMSchedule(10, beta_start=0.0),
        'beta_end': lambda: DDPMSchedule(10, beta_end=1.0),
        'kind': lambda: DDPMSchedule(10, kind='quad'),
        't holds': lambda: sched.add_noise(x0, x0, torch.tensor([0, 10])),
        't is': lambda: sched.add_noise(x0, x0, torch.tensor([0.5, 1.0])),
        't = ': lambda: sched.step(x0, 10, x0),
        'noise': lambda: sched.add_noise(x0, x0[:1], 1),
        'x_t': lambda: sched.step(x0, 1, x0[:, :2]),
        'mask has shape': lambda: diffusion_loss(smooth_denoiser, x0, sched, mask=torch.ones(3, dtype=bool)),
        'mask has dtype': lambda: diffusion_loss(smooth_denoiser, x0, sched, mask=torch.ones(5)),
        'mask has no': lambda: diffusion_loss(smooth_denoiser, x0, sched, mask=torch.zeros(5, dtype=bool)),
        'denoiser': lambda: diffusion_loss(None, x0, sched),
        'schedule': lambda: sample(smooth_denoiser, 'linear', (2, 5)),
        'x0 is': lambda: diffusion_loss(smooth_denoiser, x0.long(), sched),
        'x0 and mask': lambda: sample(smooth_denoiser, sched, (2, 5), x0=x0),
        'x0 has shape': lambda: sample(smooth_denoiser, sched, (3, 5), x0=x0, mask=torch.ones(5, dtype=bool)),
        'replace': lambda: sample(smooth_denoiser, sched, (2, 5), x0=x0, mask=torch.ones(5, dtype=bool),
                                  replace='fresh'),
        'shape': lambda: sample(smooth_denoiser, sched, (0, 5)),
        'dim': lambda: timestep_embedding(torch.arange(3), 0),
    }
    for word, call in bad.items():
        with pytest.raises(ValueError, match=word.replace('(', r'\(')):
            call()
