"Tests of mpkit.methods.mask_predict: the shuffle task, conditional-MLM batches, the decoding schedule and the causal twin."
import pytest
import torch
from mpkit.masking import remask_count
from mpkit.methods.bert import CLS, SEP, MASK, PAD
from mpkit.methods.mask_predict import (local_shuffle, pair_ids, target_slice, cmlm_batches, mask_predict, Seq2SeqLM,
                                        greedy_decode, restoration_score, fixed_length)
from mpkit.models import MaskedTokenModel

Y = torch.arange(10, 90).view(8, 10)


def test_local_shuffle_moves_less_than_k():
    x = local_shuffle(Y, k=3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(x.sort(1).values, Y)
    assert ((x - Y).abs() < 3).all()          # ids are distinct, so the id difference is the move
    assert torch.equal(local_shuffle(Y, k=1), Y)


def test_cmlm_batches_hide_1_to_n_target_tokens_only():
    b = cmlm_batches(Y, batch_size=200, generator=torch.Generator().manual_seed(0))(0)
    hid = b['labels'] != -100
    assert hid[:, target_slice(10)].sum() == hid.sum()
    assert hid.sum(1).min() >= 1 and hid.sum(1).max() <= 10
    assert (b['ids'][hid] == MASK).all()


@pytest.mark.parametrize('T', [1, 3, 5])
def test_mask_predict_follows_schedule(T):
    torch.manual_seed(0)
    model = Seq2SeqLM(MaskedTokenModel(100, 16, 1, 2, max_len=32, pad_id=PAD))
    dec = mask_predict(model, Y[:4], iterations=T)
    assert [int(r['masked'][0].sum()) for r in dec.rounds] == [remask_count(t, T, 10, kind='linear') for t in range(T)]
    assert not torch.isin(dec.tokens, torch.tensor([PAD, CLS, SEP, MASK])).any()


def test_causal_twin_is_causal_and_greedy_shape():
    torch.manual_seed(0)
    lm = Seq2SeqLM(MaskedTokenModel(100, 16, 1, 2, max_len=32, pad_id=PAD), causal=True)
    ids = pair_ids(Y[:2], Y[:2]); changed = ids.clone(); changed[:, -1] = 7
    assert torch.allclose(lm.logits(ids, 10)[:, :-1], lm.logits(changed, 10)[:, :-1], atol=1e-5)
    assert greedy_decode(lm, Y[:3]).shape == (3, 10)


def test_restoration_score_and_errors():
    assert restoration_score(Y, Y).token_accuracy == 1.0
    with pytest.raises(ValueError, match='two non-empty'):
        restoration_score(Y[:, :3], Y)
    with pytest.raises(ValueError, match='no sentence'):
        fixed_length([[CLS, 5, SEP]], 4)
