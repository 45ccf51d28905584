"""The other direction, checked against the reference implementation itself when it happens to be
installed (minitrans never needs it; the test skips otherwise): a model written by save_hf loads
with transformers' from_pretrained and gives the same outputs, and so does its tokenizer."""
import numpy as np
import pytest

from minitrans.interop import load_hf, save_hf
from minitrans.models import GPT, T5, BertConfig, BertForPreTraining, BertModel, GPTConfig, T5Config
from minitrans.tokenizers import ByteLevelBPETokenizer, WordPieceTokenizer

transformers = pytest.importorskip("transformers", reason="transformers is not installed (only this check needs it)")
torch = pytest.importorskip("torch", reason="torch is not installed (only this check needs it)")
TEXTS = ["Jane sees the ducks. The horse is eating!", "Lisk is a small town in Borovia, isn't it?"]


def perturbed(model):
    rng = np.random.default_rng(0)
    for p in model.parameters():
        p.data = p.data + (rng.standard_normal(p.shape) * 0.1).astype(p.data.dtype)
    return model.eval()


def test_gpt_loads_in_transformers_with_the_same_logits(tmp_path):
    tok = ByteLevelBPETokenizer.train(TEXTS * 3, vocab_size=300)
    model = perturbed(GPT(GPTConfig(vocab_size=tok.vocab_size, block_size=32, n_layer=2, n_head=2, n_embd=16,
                                    n_inner=24, tie_weights=False)))
    save_hf(model, tmp_path, tok)
    reference = transformers.GPT2LMHeadModel.from_pretrained(tmp_path).eval()
    ref_tok = transformers.GPT2Tokenizer.from_pretrained(tmp_path)
    ids = tok.encode(TEXTS[1])
    assert ref_tok(TEXTS[1])["input_ids"] == ids
    with torch.no_grad():
        expected = reference(torch.tensor([ids])).logits.numpy()
    assert np.abs(model.forward(np.array([ids]))[0] - expected).max() < 1e-4


def test_bert_loads_in_transformers_with_the_same_outputs(tmp_path):
    tok = WordPieceTokenizer.train(TEXTS * 3, vocab_size=80)
    config = BertConfig(vocab_size=tok.vocab_size, n_layer=2, n_head=2, d_model=16, d_ff=24, pad_token_id=tok.pad_id)
    head = perturbed(BertForPreTraining(BertModel(config)))
    save_hf(head, tmp_path, tok)
    reference = transformers.BertForPreTraining.from_pretrained(tmp_path).eval()
    ref_tok = transformers.BertTokenizer.from_pretrained(tmp_path)
    ids, segments = tok.encode_pair(TEXTS[0], TEXTS[1])
    assert ref_tok(TEXTS[0], TEXTS[1])["input_ids"] == ids
    with torch.no_grad():
        out = reference(torch.tensor([ids]), token_type_ids=torch.tensor([segments]))
    mlm, nsp, _ = head.forward(np.array([ids]), np.array([segments]))
    assert np.abs(mlm - out.prediction_logits.numpy()[0]).max() < 1e-4
    assert np.abs(nsp - out.seq_relationship_logits.numpy()).max() < 1e-4


def t5_difference(model, reference):
    """Largest |logit difference| of a minitrans T5 and transformers' on inputs of 30 tokens (relative
    distances past max_distance=20), the second padded after 22, and 25 decoder inputs."""
    rng = np.random.default_rng(1)
    ids, targets = rng.integers(2, 40, (2, 30)), rng.integers(2, 40, (2, 25))
    targets[:, 0] = 0
    mask = np.ones(ids.shape, bool)
    mask[1, 22:] = False
    with torch.no_grad():
        expected = reference(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask.astype(np.int64)),
                             decoder_input_ids=torch.tensor(targets)).logits.numpy()
    return np.abs(model.forward(ids, targets, attention_mask=mask)[0] - expected).max()


@pytest.mark.parametrize("activation, tie", [("relu", True), ("gated-gelu", False)])
def test_t5_loads_in_transformers_with_the_same_logits(tmp_path, activation, tie):
    """2 encoder and 3 decoder layers, 8 relative position buckets."""
    model = perturbed(T5(T5Config(vocab_size=40, d_model=16, n_head=4, d_ff=24, n_encoder_layer=2,
                                  n_decoder_layer=3, num_buckets=8, max_distance=20, activation=activation,
                                  tie_weights=tie)))
    save_hf(model, tmp_path)
    reference = transformers.T5ForConditionalGeneration.from_pretrained(tmp_path).eval()
    assert t5_difference(model, reference) < 1e-4


@pytest.mark.parametrize("proj, tie", [("relu", True), ("gated-gelu", False)])
def test_a_t5_written_by_transformers_loads_with_the_same_logits(tmp_path, proj, tie):
    """transformers' own save_pretrained (>= 5 ties every T5's head and writes scale_decoder_outputs)."""
    config = transformers.T5Config(vocab_size=40, d_model=16, d_kv=4, d_ff=24, num_layers=2, num_decoder_layers=3,
                                   num_heads=4, relative_attention_num_buckets=8, relative_attention_max_distance=20,
                                   feed_forward_proj=proj, tie_word_embeddings=tie)
    torch.manual_seed(0)
    reference = transformers.T5ForConditionalGeneration(config).eval()
    reference.save_pretrained(tmp_path)
    model, _ = load_hf(tmp_path)
    assert t5_difference(model, reference) < 1e-4
