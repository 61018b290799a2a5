"Tests of mpkit.methods.text.mask_predict: the shuffle task and the decoding schedule over several round counts."
import pytest
import torch
from mpkit.masking import remask_count
from mpkit.text import CLS, SEP, MASK, PAD
from mpkit.methods.text.mask_predict import local_shuffle, mask_predict, Seq2SeqLM
from mpkit.models import MaskedTokenModel

Y = torch.arange(10, 90).view(8, 10)


def test_local_shuffle_moves_less_than_k():
    x = local_shuffle(Y, k=3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(x.sort(1).values, Y)
    assert ((x - Y).abs() < 3).all()          # ids are distinct, so the id difference is the move
    assert torch.equal(local_shuffle(Y, k=1), Y)


@pytest.mark.parametrize('T', [1, 3, 5])
def test_mask_predict_follows_schedule(T):
    torch.manual_seed(0)
    model = Seq2SeqLM(MaskedTokenModel(vocab_size=100, dim=16, depth=1, heads=2, max_len=32, pad_id=PAD))
    dec = mask_predict(model, Y[:4], iterations=T)
    assert [int(r['masked'][0].sum()) for r in dec.rounds] == [remask_count(t, T, 10, kind='linear') for t in range(T)]
    assert not torch.isin(dec.tokens, torch.tensor([PAD, CLS, SEP, MASK])).any()
