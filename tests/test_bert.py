"""BERT: gradients of the body and every head, padding invariance, toy tasks learned, presets, bad input."""
import numpy as np
import pytest

from minitrans.eval.metrics import entity_f1
from minitrans.gradcheck import assert_gradients_close, check_loss, check_module
from minitrans.models.bert import BertConfig, BertModel, bert_parameter_counts, count_bert_parameters
from minitrans.models.bert_heads import (BertForMultipleChoice, BertForPreTraining, BertForQuestionAnswering,
                                         BertForSequenceClassification, BertForTokenClassification,
                                         align_word_labels, best_spans, default_context_mask)
from minitrans.optim import AdamW, WarmupLinearLR

V, B, T = 13, 2, 6
CLS, SEP, MASK = 1, 2, 3


def tiny(**overrides):
    cfg = dict(vocab_size=V, max_position=8, n_layer=2, n_head=2, d_model=8, d_ff=16, dropout=0.0, dtype="float64")
    return BertConfig(**{**cfg, **overrides})


def add_noise(module, scale=0.4, seed=1):
    """Larger weights make every path matter in a gradient check."""
    rng = np.random.default_rng(seed)
    for p in module.parameters():
        p.data += rng.standard_normal(p.shape) * scale


def padded_inputs(seed=0):
    """ids, segment ids and a padding mask for B=2 sequences of length T; the second has 2 padding tokens."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(4, V, size=(B, T))
    ids[:, 0] = CLS
    segments = np.zeros((B, T), dtype=np.int64)
    segments[:, 3:] = 1
    mask = np.ones((B, T), dtype=bool)
    mask[1, 4:] = False
    ids[1, 4:] = 0
    return {"ids": ids, "segment_ids": segments, "attention_mask": mask}


def head_loss_check(head, batch, zero_names=("k.bias",)):
    """Gradient-check head.loss over every parameter of the head and its body (a one-layer body:
    the two-layer body is checked on its own above)."""
    add_noise(head)
    return check_loss(head, lambda backward: head.loss(batch, backward)[0], zero_names=zero_names)


# ------------------------------------------------------------------ gradients
def test_body_gradients_hidden_and_pooled():
    model = BertModel(tiny(dropout=0.1))
    add_noise(model)
    batch = padded_inputs()
    rng = np.random.default_rng(2)
    wh, wp = rng.standard_normal((B, T, 8)), rng.standard_normal((B, 8))

    def loss_fn(backward):
        h, pooled, cache = model.forward(**batch)
        if backward:
            model.backward((wh, wp), cache)
        return np.concatenate([(h * wh).ravel(), (pooled * wp).ravel()])
    assert_gradients_close(check_loss(model, loss_fn))


def test_body_backward_with_one_gradient_missing():
    """backward((dh, None)) + backward((None, dp)) adds up to backward((dh, dp))."""
    model = BertModel(tiny())
    h, pooled, cache = model.forward(**padded_inputs())
    rng = np.random.default_rng(2)
    dh, dp = rng.standard_normal(h.shape), rng.standard_normal(pooled.shape)
    model.zero_grad()
    model.backward((dh, dp), cache)
    both = {n: p.grad.copy() for n, p in model.named_parameters()}
    model.zero_grad()
    model.backward((dh, None), cache)
    model.backward((None, dp), cache)
    assert all(np.allclose(p.grad, both[n], rtol=1e-12, atol=1e-14) for n, p in model.named_parameters())
    assert np.abs(both["pooler.weight"]).max() > 0
    with pytest.raises(ValueError, match="needs dhidden or dpooled"):
        model.backward((None, None), cache)


def test_body_passes_check_module_with_its_two_outputs():
    model = BertModel(tiny(dropout=0.1))
    add_noise(model)
    assert_gradients_close(check_module(model, padded_inputs()))


@pytest.mark.parametrize("nsp", [True, False])
def test_pretraining_gradients_with_tied_decoder(nsp):
    head = BertForPreTraining(BertModel(tiny(n_layer=1)), nsp=nsp)
    batch = padded_inputs()
    labels = np.full((B, T), -100)
    labels[0, [2, 4]] = [5, 6]
    labels[1, 1] = 7
    batch.update(mlm_labels=labels, nsp_labels=np.array([0, 1]))
    errors = head_loss_check(head, batch)
    assert "param:bert.tok_emb.weight" not in errors and "bert.tok_emb.weight" in errors   # one shared table
    assert_gradients_close(errors)


def test_masked_lm_without_a_pooler_gradients_and_heads_that_need_one():
    bert = BertModel(tiny(n_layer=1, pooler=False))          # a masked-LM checkpoint's shape: no pooler
    assert bert.pooler is None and "pooler.weight" not in dict(bert.named_parameters())
    assert count_bert_parameters(bert.config) == bert.num_parameters()
    head = BertForPreTraining(bert, nsp=False)
    batch = padded_inputs()
    labels = np.full((B, T), -100)
    labels[0, [1, 3]] = [5, 6]
    batch.update(mlm_labels=labels)
    assert_gradients_close(head_loss_check(head, batch))
    for make in (lambda: BertForPreTraining(bert, nsp=True), lambda: BertForSequenceClassification(bert),
                 lambda: BertForMultipleChoice(bert)):
        with pytest.raises(ValueError, match="no pooler.*add_pooler"):
            make()
    with pytest.warns(UserWarning, match="untrained"):
        bert.add_pooler()
    assert bert.config.pooler and BertForSequenceClassification(bert).bert.pooler is not None


@pytest.mark.parametrize("num_labels", [3, 1])
def test_sequence_classification_and_regression_gradients(num_labels):
    head = BertForSequenceClassification(BertModel(tiny(n_layer=1)), num_labels=num_labels, dropout=0.2)
    batch = padded_inputs()
    batch["labels"] = np.array([2, 0]) if num_labels > 1 else np.array([0.7, -1.2])
    assert_gradients_close(head_loss_check(head, batch))


def test_token_classification_gradients():
    head = BertForTokenClassification(BertModel(tiny(n_layer=1)), num_labels=3, dropout=0.2)
    batch = padded_inputs()
    batch["labels"] = np.array([[-100, 0, 1, 2, 1, -100], [-100, 2, 2, 0, -100, -100]])
    assert_gradients_close(head_loss_check(head, batch))


def test_question_answering_gradients():
    head = BertForQuestionAnswering(BertModel(tiny(n_layer=1)))
    batch = padded_inputs()
    batch.update(start_positions=np.array([3, 3]), end_positions=np.array([4, 3]))
    # The softmax over positions ignores a shift shared by every position, so the gradients of the
    # output bias and of the last LayerNorm's shift are exactly zero: checked as |grad| < 1e-9.
    zero = ("k.bias", "qa_outputs.bias", "blocks.0.ffn.norm.bias")
    assert_gradients_close(head_loss_check(head, batch, zero))


def test_multiple_choice_gradients():
    head = BertForMultipleChoice(BertModel(tiny(n_layer=1)), dropout=0.2)
    batch = {k: np.stack([v, v[::-1]]) for k, v in padded_inputs().items()}   # (2 questions, 2 choices, T)
    batch["labels"] = np.array([1, 0])
    # Every choice's score gets the same classifier bias, and the softmax over choices ignores a
    # shift shared by all of them: its gradient is exactly zero, checked as |grad| < 1e-9.
    assert_gradients_close(head_loss_check(head, batch, ("k.bias", "classifier.bias")))


# ------------------------------------------------------------------- padding
@pytest.mark.parametrize("dtype,tol", [("float32", 1e-6), ("float64", 1e-12)])
def test_padding_invariance(dtype, tol):
    model = BertModel(tiny(dtype=dtype, d_model=16, vocab_size=30)).eval()
    rng = np.random.default_rng(0)
    ids = rng.integers(4, 30, size=(1, 5))
    segments = np.array([[0, 0, 1, 1, 1]])
    h, pooled, _ = model.forward(ids, segments)

    def pad(a, value):
        return np.concatenate([a, np.full((1, 3), value, dtype=a.dtype)], axis=1)
    mask = pad(np.ones((1, 5), dtype=bool), False)
    h2, pooled2, _ = model.forward(pad(ids, 0), pad(segments, 1), mask)
    assert np.abs(h - h2[:, :5]).max() < tol and np.abs(pooled - pooled2).max() < tol


def test_question_answering_loss_ignores_padding():
    head = BertForQuestionAnswering(BertModel(tiny()))
    add_noise(head)
    batch = padded_inputs()
    batch.update(start_positions=np.array([3, 3]), end_positions=np.array([4, 3]))
    short = {"ids": batch["ids"][1:, :4], "segment_ids": batch["segment_ids"][1:, :4],
             "start_positions": np.array([3]), "end_positions": np.array([3])}
    padded = {k: v[1:] for k, v in batch.items()}
    assert abs(head.loss(short, False)[0] - head.loss(padded, False)[0]) < 1e-12


# ----------------------------------------------------------- learning toy tasks
def small(vocab_size, **overrides):
    cfg = dict(vocab_size=vocab_size, max_position=16, n_layer=2, n_head=2, d_model=32, d_ff=64, dropout=0.0)
    return BertModel(BertConfig(**{**cfg, **overrides}))


def train(head, batches, steps, lr=3e-3):
    """AdamW on head.loss over `steps` minibatches drawn by batches(rng), with the linear warmup
    (a tenth of the steps) that post-norm BERT needs; returns the last metrics."""
    opt = AdamW(head, lr=WarmupLinearLR(lr, steps // 10, steps), weight_decay=0.0)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        opt.zero_grad()
        _, metrics = head.loss(batches(rng))
        opt.step()
    head.eval()
    return metrics


def test_mlm_learns_a_tiny_corpus():
    # four sequences over disjoint tokens: any visible token tells the sequence, the position the token
    corpus = 4 + np.random.default_rng(0).permutation(24).reshape(4, 6)
    corpus = np.concatenate([np.full((4, 1), CLS), corpus, np.full((4, 1), SEP)], axis=1)   # (4, 8)

    def masked_batch(rng):
        ids = np.repeat(corpus, 4, axis=0)
        labels = np.full(ids.shape, -100)
        for row in range(len(ids)):
            where = 1 + rng.choice(6, size=rng.integers(1, 3), replace=False)
            labels[row, where] = ids[row, where]
            ids[row, where] = MASK
        return {"ids": ids, "mlm_labels": labels}
    head = BertForPreTraining(small(28), nsp=False)
    train(head, masked_batch, 150)
    ids = np.repeat(corpus, 6, axis=0)                       # every sequence with each position masked alone
    labels = np.full(ids.shape, -100)
    rows, cols = np.arange(24), 1 + np.tile(np.arange(6), 4)
    labels[rows, cols] = ids[rows, cols]
    ids[rows, cols] = MASK
    _, metrics = head.loss({"ids": ids, "mlm_labels": labels}, backward=False)
    assert metrics["tokens"] == 24 and metrics["mlm_acc"] >= 0.95
    tokens, nsp = head.predict({"ids": ids})                 # predictions at every position
    assert nsp is None and np.mean(tokens[rows, cols] == labels[rows, cols]) == metrics["mlm_acc"]


def contains_five(rng, n=32):
    """Padded sequences [CLS] x1..xk of tokens 6..19, some with a 5; labels: does 5 occur, and how often."""
    ids = rng.integers(6, 20, size=(n, 9))
    ids[:, 0] = CLS
    for row in range(n):
        ids[row, 1 + rng.choice(8, size=rng.integers(0, 3), replace=False)] = 5
    mask = np.arange(9)[None, :] < rng.integers(5, 10, size=(n, 1))
    ids[~mask] = 0
    count = (ids == 5).sum(axis=1)
    return {"ids": ids, "attention_mask": mask, "labels": (count > 0).astype(np.int64), "count": count}


def test_sequence_classification_learns_whether_a_token_occurs():
    head = BertForSequenceClassification(small(20), num_labels=2, dropout=0.1)
    train(head, contains_five, 150)
    batch = contains_five(np.random.default_rng(99), 200)
    _, metrics = head.loss(batch, backward=False)
    assert metrics["accuracy"] >= 0.95
    head.train()
    assert np.mean(head.predict(batch) == batch["labels"]) == metrics["accuracy"] and head.training


def test_regression_learns_to_count_a_token():
    def batches(rng, n=32):
        batch = contains_five(rng, n)
        return {**batch, "labels": batch["count"].astype(np.float64)}
    head = BertForSequenceClassification(small(20), num_labels=1)
    train(head, batches, 150)
    _, metrics = head.loss(batches(np.random.default_rng(99), 200), backward=False)
    assert metrics["mse"] < 0.05         # the counts 0, 1, 2 have variance about 0.5


TAGS = ["O", "B-SEVEN", "I-SEVEN"]


def sevens(rng, n=32):
    """Tag runs of the token 7 in BIO: B at the first 7 of a run, I at the next ones (needs the left neighbour)."""
    ids = np.where(rng.random((n, 10)) < 0.35, 7, rng.integers(8, 14, size=(n, 10)))
    ids[:, 0] = CLS
    is7 = ids == 7
    labels = np.where(is7, np.where(np.roll(is7, 1, axis=1), 2, 1), 0)
    labels[:, 0] = -100
    return {"ids": ids, "labels": labels}


def test_token_classification_learns_bio_tags():
    head = BertForTokenClassification(small(14), num_labels=3)
    train(head, sevens, 400)
    batch = sevens(np.random.default_rng(99), 100)
    true = [[TAGS[t] for t in row[1:]] for row in batch["labels"]]
    pred = [[TAGS[t] for t in row[1:]] for row in head.predict(batch)]
    assert entity_f1(true, pred) >= 0.95


def marker_questions(rng, n=32):
    """[CLS] q [SEP] context [SEP]: the answer is the two tokens after the marker 7 in the context."""
    T = 12
    ids = np.zeros((n, T), dtype=np.int64)
    segments = np.zeros((n, T), dtype=np.int64)
    mask = np.zeros((n, T), dtype=bool)
    starts = np.zeros(n, dtype=np.int64)
    for row in range(n):
        length = rng.integers(5, 9)                               # context tokens
        context = rng.integers(8, 20, size=length)
        marker = rng.integers(0, length - 2)
        context[marker] = 7
        ids[row, :4 + length] = [CLS, 4, SEP, *context, SEP]
        segments[row, 3:4 + length] = 1
        mask[row, :4 + length] = True
        starts[row] = 3 + marker + 1
    return {"ids": ids, "segment_ids": segments, "attention_mask": mask,
            "start_positions": starts, "end_positions": starts + 1}


def test_question_answering_learns_marker_spans():
    head = BertForQuestionAnswering(small(20))
    train(head, marker_questions, 150)
    batch = marker_questions(np.random.default_rng(99), 200)
    _, metrics = head.loss(batch, backward=False)
    assert metrics["exact"] >= 0.9 and metrics["f1"] >= metrics["exact"]
    starts, ends = head.predict(batch)
    assert np.mean((starts == batch["start_positions"]) & (ends == batch["end_positions"])) == metrics["exact"]


def matching_choices(rng, n=16, n_choices=3):
    """Pairs [CLS] x [SEP] y [SEP]: the right choice's token y repeats the context token x."""
    ids = np.zeros((n, n_choices, 5), dtype=np.int64)
    labels = rng.integers(0, n_choices, size=n)
    for row in range(n):
        x, *others = rng.permutation(np.arange(8, 20))[:n_choices + 1]
        for c in range(n_choices):
            ids[row, c] = [CLS, x, SEP, x if c == labels[row] else others[c], SEP]
    segments = np.zeros_like(ids)
    segments[:, :, 3:] = 1
    return {"ids": ids, "segment_ids": segments, "labels": labels}


def test_multiple_choice_learns_the_matching_choice():
    head = BertForMultipleChoice(small(20, d_model=64, d_ff=128))
    train(head, matching_choices, 200, lr=1e-3)
    _, metrics = head.loss(matching_choices(np.random.default_rng(99), 200), backward=False)
    assert metrics["accuracy"] >= 0.9


# -------------------------------------------------------- presets and counts
# Published sizes: BERT-base "110M", BERT-large "340M". Counted from the shapes (embeddings, encoder
# and pooler, 30,522-token vocabulary): base 109,482,240 (0.5% under 110M) and large 335,141,888,
# which is 1.4% under the published 340M: the paper's large figure is rounded up, so large is
# asserted against its counted 335M. With the MLM and NSP heads: base 110,106,428, large 336,227,132.
@pytest.mark.parametrize("name,counted,published", [("base", 109.5e6, 110e6), ("large", 335e6, None)])
def test_published_parameter_counts(name, counted, published):
    n = count_bert_parameters(BertConfig.preset(name))
    assert abs(n - counted) / counted < 0.01
    if published:
        assert abs(n - published) / published < 0.01


def test_pretraining_heads_counted_separately():
    parts = bert_parameter_counts(BertConfig.preset("base"))
    assert parts["mlm_head"] == 768 * 768 + 768 + 2 * 768 + 30522 and parts["nsp_head"] == 768 * 2 + 2
    # 110,106,428: the count published model cards give for BERT-base with its pretraining heads
    assert count_bert_parameters(BertConfig.preset("base")) + parts["mlm_head"] + parts["nsp_head"] == 110_106_428


@pytest.mark.parametrize("name", ["tiny", "mini"])
def test_small_presets_build_and_match_the_count(name):
    cfg = BertConfig.preset(name, vocab_size=500)
    model = BertModel(cfg)
    assert model.num_parameters() == count_bert_parameters(cfg)
    parts = bert_parameter_counts(cfg)
    head = BertForPreTraining(model)          # the decoder reuses the token embedding: no extra (V, C) matrix
    assert head.num_parameters() == count_bert_parameters(cfg) + parts["mlm_head"] + parts["nsp_head"]
    assert model.blocks[0].ffn.norm.eps == 1e-12 and not model.blocks[0].ffn.pre_norm


def test_config_errors():
    with pytest.raises(ValueError, match="unknown BertConfig preset"):
        BertConfig.preset("huge")
    with pytest.raises(ValueError, match="divisible by n_head"):
        BertConfig(d_model=10, n_head=3)
    with pytest.raises(ValueError, match="type_vocab_size"):
        BertConfig(type_vocab_size=0)
    assert BertConfig.from_dict(BertConfig.preset("tiny").to_dict()) == BertConfig.preset("tiny")


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kwargs,error,message", [
    ({"ids": np.zeros((1, 3))}, TypeError, "integer"),
    ({"ids": np.zeros(3, dtype=np.int64)}, ValueError, r"shape \(B, T\)"),
    ({"ids": np.zeros((1, 9), dtype=np.int64)}, ValueError, "longer than max_position 8"),
    ({"ids": np.array([[1, 13]])}, ValueError, r"\[0, 13\)"),
    ({"segment_ids": np.zeros((2, 5), dtype=np.int64)}, ValueError, r"segment_ids must have the shape of ids \(2, 6\)"),
    ({"segment_ids": np.full((2, 6), 2)}, ValueError, r"segment ids must lie in \[0, 2\)"),
    ({"segment_ids": np.zeros((2, 6))}, TypeError, "segment_ids must be an integer"),
    ({"attention_mask": np.ones((2, 6), dtype=np.int64)}, TypeError, "boolean"),
    ({"attention_mask": np.ones((2, 7), dtype=bool)}, ValueError, r"attention_mask must have the shape of ids"),
])
def test_bad_model_input(kwargs, error, message):
    model = BertModel(tiny())
    inputs = {**padded_inputs(), **kwargs}
    with pytest.raises(error, match=message):
        model.forward(**inputs)


def test_bad_head_input():
    bert = BertModel(tiny())
    with pytest.raises(TypeError, match="built on a BertModel"):
        BertForSequenceClassification(object())
    head = BertForSequenceClassification(bert)
    with pytest.raises(ValueError, match=r"missing \['labels'\]"):
        head.loss(padded_inputs())
    with pytest.raises(TypeError, match="dict"):
        head.loss([1, 2])

    with pytest.raises(ValueError, match="targets must lie in"):
        head.loss({**padded_inputs(), "labels": np.array([0, 2])})
    with pytest.raises(ValueError, match=r"shape \(B, n_choices, T\)"):
        BertForMultipleChoice(bert).forward(padded_inputs()["ids"])
    with pytest.raises(ValueError, match="start <= end"):
        BertForQuestionAnswering(bert).loss({**padded_inputs(), "start_positions": np.array([3, 4]),
                                             "end_positions": np.array([3, 3])})
    with pytest.raises(ValueError, match="nsp_labels"):
        BertForPreTraining(bert).loss({**padded_inputs(), "mlm_labels": np.full((B, T), -100)})


# -------------------------------------------------------- alignment, decoding
def test_align_word_labels():
    # pieces of "[CLS] Jim Hen ##son visited Lon ##don [SEP] [PAD]" with word labels B-PER I-PER O B-LOC = 1 2 0 3
    word_ids = [-1, 0, 1, 1, 2, 3, 3, -1, None]
    assert align_word_labels(word_ids, [1, 2, 0, 3]).tolist() == [-100, 1, 2, -100, 0, 3, -100, -100, -100]
    with pytest.raises(ValueError, match="only 2 word labels"):
        align_word_labels([0, 1, 2], [1, 0])


def test_best_spans_obey_order_length_and_context():
    T = 6
    logits = np.full((3, T, 2), -10.0)
    logits[:, 4, 0], logits[:, 1, 1] = 9.0, 9.0        # the best pair has its end before its start
    logits[:, 2, 0], logits[:, 3, 1] = 5.0, 4.0        # the best valid span is (2, 3)
    logits[1, 4, 0], logits[1, 5, 1] = -10.0, 8.5      # example 1: (2, 5) scores more but is 4 tokens long
    logits[2, 2, 1] = 3.0                              # example 2: position 3 is outside the context,
    context = np.ones((3, T), dtype=bool)              # so the best is (2, 2)
    context[2, 3] = False
    starts, ends = best_spans(logits, context, max_answer_length=3)
    assert starts.tolist() == [2, 2, 2] and ends.tolist() == [3, 3, 2]
    starts, ends = best_spans(logits, np.zeros((3, T), dtype=bool))
    assert starts.tolist() == ends.tolist() == [0, 0, 0]     # no context: the [CLS] "no answer"


def test_default_context_is_segment_one_without_its_final_sep():
    batch = padded_inputs()
    context = default_context_mask(batch["segment_ids"], batch["attention_mask"], (B, T))
    assert context.tolist() == [[False] * 3 + [True, True, False], [False] * 3 + [False, False, False]]
    assert default_context_mask(None, batch["attention_mask"], (B, T)).tolist() == batch["attention_mask"].tolist()
