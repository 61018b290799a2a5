"""mpkit.models: shapes, attention capture, masks, embeddings and the two baseline models."""
import math
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st
from mpkit import models as M
from mpkit import points as P


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def test_output_defaults_are_independent():
    a, b = M.Output(), M.Output()
    a.extras['x'] = 1
    assert b.extras == {} and a.loss is None and a.attentions is None


@pytest.mark.parametrize('causal', [False, True])
def test_attention_capture_matches_fused_path(causal):
    enc = M.TransformerEncoder(32, 3, 4, causal=causal).eval()
    x = torch.randn(3, 12, 32)
    pad = torch.zeros(3, 12, dtype=torch.bool); pad[2, 9:] = True
    y = enc(x, pad=pad)
    out = enc.layers(x, pad=pad, return_attention=True)
    y2, attns = out.hidden, out.attentions
    torch.testing.assert_close(y, y2, atol=1e-5, rtol=1e-5)
    assert len(attns) == 3 and all(a.shape == (3, 4, 12, 12) for a in attns)
    for a in attns:
        torch.testing.assert_close(a.sum(-1), torch.ones(3, 4, 12))
        assert (a[2, :, :, 9:] == 0).all()
        if causal: assert (a.triu(1) == 0).all()


def test_attention_weights_only_computed_when_asked(monkeypatch):
    calls = []
    real = F.scaled_dot_product_attention
    monkeypatch.setattr(M.F, 'scaled_dot_product_attention', lambda *a, **k: calls.append(1) or real(*a, **k))
    enc = M.TransformerEncoder(16, 2, 2)
    out = enc(torch.randn(2, 5, 16))
    assert torch.is_tensor(out) and len(calls) == 2           # the fused kernel, once per layer
    enc.layers(torch.randn(2, 5, 16), return_attention=True)
    assert len(calls) == 2                                     # the explicit path does not call it


def test_encoder_gradients_reach_every_parameter():
    enc = M.TransformerEncoder(16, 2, 2, dropout=0.1)
    enc(torch.randn(2, 5, 16)).square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in enc.parameters())


def test_no_dropout_module_when_dropout_is_zero():
    enc = M.TransformerEncoder(16, 2, 2)
    assert not any(isinstance(m, torch.nn.Dropout) for m in enc.modules())
    assert any(isinstance(m, torch.nn.Dropout) for m in M.TransformerEncoder(16, 2, 2, dropout=0.1).modules())


def test_bad_shapes_and_heads():
    with pytest.raises(ValueError, match='divisible by heads'): M.TransformerEncoder(30, 1, 4)
    with pytest.raises(ValueError, match=r'\(B, L, 16\)'): M.TransformerEncoder(16, 1, 2)(torch.randn(2, 5, 8))
    with pytest.raises(ValueError, match='bool'):
        M.TransformerEncoder(16, 1, 2)(torch.randn(2, 5, 16), pad=torch.zeros(2, 5))


@settings(max_examples=25, deadline=None)
@given(b=st.integers(1, 3), c=st.integers(1, 3), gh=st.integers(1, 4), gw=st.integers(1, 4), p=st.integers(1, 4))
def test_patchify_roundtrip(b, c, gh, gw, p):
    imgs = torch.randn(b, c, gh * p, gw * p)
    x = M.patchify(imgs, p)
    assert x.shape == (b, gh * gw, p * p * c)
    torch.testing.assert_close(M.unpatchify(x, p, gh * p, gw * p, c), imgs, rtol=0, atol=0)


def test_patchify_matches_mae_reference_order():
    imgs = torch.randn(2, 3, 8, 12)
    p, h, w = 4, 2, 3
    # facebookresearch/mae models_mae.py: reshape -> einsum('nchpwq->nhwpqc') -> reshape
    ref = torch.einsum('nchpwq->nhwpqc', imgs.reshape(2, 3, h, p, w, p)).reshape(2, h * w, p * p * 3)
    torch.testing.assert_close(M.patchify(imgs, p), ref, rtol=0, atol=0)


def test_patch_size_must_divide():
    with pytest.raises(ValueError, match='patch size 3 does not divide the image size 8x8'): M.patchify(torch.randn(1, 1, 8, 8), 3)
    with pytest.raises(ValueError, match='does not divide'): M.PatchEmbed(img_size=10, patch=4, in_chans=3, dim=8)
    with pytest.raises(ValueError, match=r'\(B, C, H, W\)'): M.patchify(torch.randn(8, 8), 2)


def test_sincos_matches_mae_1d_formula_and_shapes():
    pe = M.sincos_pos_embed(8, 5)
    pos, omega = torch.arange(5.)[:, None], 1 / 10000 ** (torch.arange(4.) / 4)
    torch.testing.assert_close(pe, torch.cat([(pos * omega).sin(), (pos * omega).cos()], 1))
    pe2 = M.sincos_pos_embed(16, 3, 4)
    assert pe2.shape == (12, 16)
    torch.testing.assert_close(pe2[:, :8], M.sincos_pos_embed(8, 3).repeat_interleave(4, 0))   # first half: row
    torch.testing.assert_close(pe2[:, 8:], M.sincos_pos_embed(8, 4).repeat(3, 1))              # second half: column
    assert M.sincos_pos_embed(24, 2, 2, 2).shape == (8, 24)
    with pytest.raises(ValueError, match='divisible'): M.sincos_pos_embed(10, 2, 2)


def test_fps_and_knn_against_brute_force():
    xyz = torch.randn(2, 200, 3)
    idx = P.farthest_point_sample(xyz, 10)
    for b in range(2):   # brute force FPS from point 0
        chosen = [0]
        for _ in range(9):
            d = torch.cdist(xyz[b], xyz[b, chosen]).min(1).values
            chosen.append(int(d.argmax()))
        assert idx[b].tolist() == chosen
    centres = xyz[torch.arange(2)[:, None], idx]
    nn_idx = P.knn_group(xyz, centres, 8)
    d = torch.cdist(centres, xyz)
    torch.testing.assert_close(d.gather(2, nn_idx), d.sort(-1).values[..., :8])
    tokens, c, nb = P.PointGroupEmbed(10, 8, 16)(xyz)
    assert tokens.shape == (2, 10, 16) and c.shape == (2, 10, 3) and nb.shape == (2, 10, 8, 3)
    torch.testing.assert_close(nb[:, :, 0], torch.zeros(2, 10, 3))   # each centre is its own nearest point
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(P.farthest_point_sample(xyz, 5, generator=g1), P.farthest_point_sample(xyz, 5, generator=g2))


def test_mae_decoder_restores_order():
    dec = M.MAEDecoder(enc_dim=8, dec_dim=8, depth=1, heads=2, out_dim=8)
    with torch.no_grad():   # make the decoder an identity on its inputs
        dec.embed.weight.copy_(torch.eye(8)); dec.embed.bias.zero_()
        dec.head.weight.copy_(torch.eye(8)); dec.head.bias.zero_()
        dec.mask_token.fill_(7.0)
        for p in dec.blocks.blocks.parameters(): p.zero_()
        dec.blocks.norm = torch.nn.Identity()
    x = torch.randn(2, 6, 8)
    from mpkit.masking import random_mask, gather_visible
    mask, keep, restore = random_mask(2, 6, 0.5, generator=torch.Generator().manual_seed(0))
    out = dec(gather_visible(x, keep), restore)
    torch.testing.assert_close(out[~mask], x[~mask])
    assert (out[mask] == 7.0).all()


def test_cross_attention_block_padding():
    blk = M.CrossAttentionBlock(16, 2).eval()
    x, ctx = torch.randn(1, 3, 16), torch.randn(1, 6, 16)
    pad = torch.tensor([[False] * 4 + [True] * 2])
    torch.testing.assert_close(blk(x, ctx, pad=pad), blk(x, ctx[:, :4]), atol=1e-5, rtol=1e-5)


def test_masked_token_model_loss_mask_and_padding():
    m = M.MaskedTokenModel(vocab_size=40, dim=32, depth=2, heads=4, max_len=12, pad_id=0).eval()
    ids = torch.randint(1, 40, (2, 12)); ids[1, 8:] = 0
    labels = torch.full_like(ids, -100); labels[:, 2] = ids[:, 2]
    out = m(ids, labels, return_attention=True)
    assert out.mask.sum() == 2 and torch.equal(out.target, labels)
    torch.testing.assert_close(out.loss, F.cross_entropy(out.pred[:, 2], ids[:, 2]))
    assert (out.attentions[0][1, :, :, 8:] == 0).all()            # padding is attended by nobody
    torch.testing.assert_close(m.encode(ids[1:, :8]), m.encode(ids)[1:, :8], atol=1e-5, rtol=1e-5)
    assert out.hidden.shape == (2, 12, 32)
    assert m(ids).loss is None
    with pytest.raises(ValueError, match='shape of ids'): m(ids, labels[:, :5])


def test_masked_token_model_sincos_untied():
    m = M.MaskedTokenModel(vocab_size=40, dim=32, depth=1, heads=4, max_len=12, tie=False, pos='sincos')
    assert m.head.weight is not m.tok.weight and 'pos' not in m.state_dict()
    with pytest.raises(ValueError, match="'learned' or 'sincos'"): M.MaskedTokenModel(vocab_size=40, dim=32, depth=1, heads=4, max_len=12, pos='rope')


def test_mae_forward_contract():
    mae = M.MaskedAutoencoder(img_size=16, patch=4, in_chans=3, dim=32, depth=2, heads=4, dec_dim=16, dec_depth=1)
    imgs = torch.rand(2, 3, 16, 16)
    out = mae(imgs, mask_ratio=0.75, generator=torch.Generator().manual_seed(0), return_attention=True)
    assert out.pred.shape == (2, 16, 48) and out.mask.shape == (2, 16) and out.mask.dtype == torch.bool
    assert out.mask.sum(1).tolist() == [12, 12]
    assert out.attentions[0].shape == (2, 4, 4, 4)                 # the encoder saw only the 4 visible patches
    t = M.patchify(imgs, 4)
    tn = (t - t.mean(-1, keepdim=True)) / (t.var(-1, keepdim=True) + 1e-6).sqrt()
    torch.testing.assert_close(out.target, tn)
    torch.testing.assert_close(out.loss, ((out.pred - tn) ** 2).mean(-1)[out.mask].mean())
    out.loss.backward()                                            # the mask token learns from the hidden patches
    assert mae.decoder.mask_token.grad.abs().sum() > 0


def test_mae_given_mask_and_ratio_zero():
    mae = M.MaskedAutoencoder(img_size=8, patch=4, in_chans=1, dim=16, depth=1, heads=2, dec_dim=8, dec_depth=1).eval()
    imgs = torch.rand(3, 1, 8, 8)
    mask = torch.tensor([[True, False, False, True]] * 3)
    out = mae(imgs, mask=mask)
    assert torch.equal(out.mask, mask)
    with pytest.raises(ValueError, match='same number'): mae(imgs, mask=torch.tensor([[True, False, False, False]] * 2 + [[True] * 4]))
    assert mae(imgs, mask_ratio=0.0).mask.sum() == 0


def test_mae_encode_and_reconstruct():
    mae = M.MaskedAutoencoder(img_size=8, patch=2, in_chans=1, dim=16, depth=1, heads=2, dec_dim=8, dec_depth=1)
    imgs = torch.rand(2, 1, 8, 8)
    assert mae.encode(imgs).shape == (2, 16) and mae.encode(imgs, pool=False).shape == (2, 16, 16)
    out = mae(imgs, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        rec = mae.reconstruct(out, imgs)
        perfect = M.Output(pred=out.target, mask=out.mask)
        torch.testing.assert_close(mae.reconstruct(perfect, imgs, paste=False), imgs, atol=1e-5, rtol=1e-4)
    vis = ~out.mask
    torch.testing.assert_close(M.patchify(rec, 2)[vis], M.patchify(imgs, 2)[vis])


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_models_on_cuda():
    mae = M.MaskedAutoencoder(img_size=16, patch=4, in_chans=3, dim=32, depth=2, heads=4, dec_dim=16, dec_depth=1).cuda()
    out = mae(torch.rand(2, 3, 16, 16, device='cuda'), generator=torch.Generator().manual_seed(0), return_attention=True)
    out.loss.backward()
    assert out.pred.is_cuda and out.mask.is_cuda
    m = M.MaskedTokenModel(vocab_size=40, dim=32, depth=2, heads=4, max_len=12, pad_id=0).cuda()
    ids = torch.randint(1, 40, (2, 12), device='cuda')
    assert m(ids, ids).loss.isfinite()
