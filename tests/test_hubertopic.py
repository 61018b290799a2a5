"HuBERTopic pieces: LDA topics, the topic head."
import numpy as np
import pytest
import torch
from mpkit.methods.speech.hubert import HuBERT
from mpkit.masking import hubert_span_mask
from mpkit.methods.speech.hubertopic import fit_topics, topic_labels, TopicHuBERT

def test_topics_separate_two_kinds_of_documents():
    rng = np.random.default_rng(0)
    docs = np.concatenate([rng.poisson([8, 8, 0, 0], (20, 4)), rng.poisson([0, 0, 8, 8], (20, 4))])
    labels = topic_labels(fit_topics(docs, 2, seed=0), docs)
    assert len(set(labels[:20].tolist())) == 1 and len(set(labels[20:].tolist())) == 1 and labels[0] != labels[-1]
    with pytest.raises(ValueError, match='n_topics'): fit_topics(docs[:1], 2)

def test_topic_loss_adds_to_hubert_loss_and_zero_weight_is_hubert():
    x, u, t = torch.randn(3, 40, 39), torch.randint(5, (3, 20)), torch.tensor([0, 1, 2])
    m = hubert_span_mask(3, 20, span=4, generator=torch.Generator().manual_seed(0))
    out = TopicHuBERT(39, 5, 3, topic_weight=2.0)(x, u, m, topic=t)
    assert torch.allclose(out.loss, out.extras['losses']['masked'] + 2.0 * out.extras['losses']['topic'])
    torch.manual_seed(0); a = HuBERT(39, 5)
    torch.manual_seed(0); b = TopicHuBERT(39, 5, 3, topic_weight=0.0)
    assert torch.allclose(a(x, u, m).loss, b(x, u, m, topic=t).loss)
    with pytest.raises(ValueError, match='integer tensor'): b(x, u, m, topic=t.float())
