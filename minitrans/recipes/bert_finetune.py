"""BERT finetuning on the toy-world tasks: one head per kind of task, on [CLS], on every piece, or on spans.

    single sentence   [CLS] text [SEP]                       -> pooled [CLS] -> class    (sentiment, acceptability)
    sentence pair     [CLS] a [SEP] b [SEP], segments 0 / 1  -> pooled [CLS] -> class    (paraphrase, entailment)
                                                             -> a number, squared error  (similarity)
    multiple choice   [CLS] context [SEP] choice [SEP] each  -> one score per choice, softmax over them
    tagging (ner)     [CLS] w1 w2 ... [SEP]                  -> a tag for the first piece of every word
    extractive QA     [CLS] question [SEP] context [SEP]     -> start and end scores, best valid span
"""
import numpy as np

from ..data import pad_batch, task_info
from ..eval.metrics import entity_scores, exact_match, token_f1
from ..models import (BertConfig, BertForMultipleChoice, BertForQuestionAnswering, BertForSequenceClassification,
                      BertForTokenClassification, BertModel, align_word_labels)
from .bert import load_bert, train_wordpiece
from .corpora import toyworld_tokenizer
from .finetune import finetune, label_of, load_splits

KIND = {"sentiment": "single", "acceptability": "single", "paraphrase": "pair", "entailment": "pair",
        "similarity": "regression", "multiple_choice": "choice", "ner": "tagging", "qa": "span"}
ALIASES = {"pair": "paraphrase", "choice": "multiple_choice"}
IGNORE_INDEX = -100


def prepare_bert(checkpoint=None, preset="tiny", vocab_size=1000, seed=0):
    """(BertModel, tokenizer): the pretrained body of `checkpoint`, or (None) the BERT that pretrain_bert
    starts from (same preset, seed, dropout 0 and WordPiece tokenizer), still at random initialisation."""
    if checkpoint is not None:
        model, tok = load_bert(checkpoint)
        return model.bert, tok
    tok = toyworld_tokenizer(train_wordpiece, vocab_size)
    return BertModel(BertConfig.preset(preset, vocab_size=tok.vocab_size, seed=seed, dropout=0.0)), tok


def padded(rows, tokenizer):
    """rows of (ids, segment_ids) -> ids, segment_ids, attention_mask: (B, T), right padded."""
    ids, mask = pad_batch([r[0] for r in rows], tokenizer.pad_id)
    segments, _ = pad_batch([r[1] for r in rows], 0)
    return ids, segments, mask


# ----------------------------------------------------------------- [CLS] tasks
def sequence_batcher(task, tokenizer, max_len):
    """make_batch(examples) for single, pair, regression and multiple-choice tasks."""
    kind, fields = KIND[task], task_info(task)["inputs"]

    def encode(example):
        if kind == "single":
            return tokenizer.encode_single(example[fields[0]], max_len)
        return tokenizer.encode_pair(example[fields[0]], example[fields[1]], max_len)

    def make_batch(examples):
        labels = np.asarray([label_of(task, e) for e in examples],
                            dtype=np.float32 if kind == "regression" else np.int64)
        if kind != "choice":
            ids, segments, mask = padded([encode(e) for e in examples], tokenizer)
            return {"ids": ids, "segment_ids": segments, "attention_mask": mask, "labels": labels}
        n = len(examples[0]["choices"])
        if any(len(e["choices"]) != n for e in examples):
            raise ValueError(f"every multiple-choice example of a batch needs {n} choices")
        rows = [tokenizer.encode_pair(e["context"], c, max_len) for e in examples for c in e["choices"]]
        ids, segments, mask = (a.reshape(len(examples), n, -1) for a in padded(rows, tokenizer))
        return {"ids": ids, "segment_ids": segments, "attention_mask": mask, "labels": labels}

    return make_batch


# ----------------------------------------------------------------- tagging
def ner_batcher(tokenizer, tag_names):
    """make_batch(examples) for NER: per-piece labels, the first piece of each word labelled, the rest -100."""
    tag_id = {t: i for i, t in enumerate(tag_names)}

    def make_batch(examples):
        rows, labels = [], []
        for e in examples:
            ids, word_index = tokenizer.encode_words(e["tokens"], add_special_tokens=True)
            rows.append((ids, [0] * len(ids)))
            labels.append(align_word_labels(word_index, [tag_id[t] for t in e["tags"]]))
        ids, segments, mask = padded(rows, tokenizer)
        label_array = np.full(ids.shape, IGNORE_INDEX, dtype=np.int64)
        for i, row in enumerate(labels):
            label_array[i, :len(row)] = row
        return {"ids": ids, "segment_ids": segments, "attention_mask": mask, "labels": label_array}

    return make_batch


def ner_evaluator(tokenizer, tag_names, make_batch, batch_size=64):
    """evaluate(head, examples) -> entity-level f1, precision, recall: each word's tag is the prediction
    at its first piece (a word that gives no piece is tagged O)."""
    def evaluate(head, examples):
        gold, guess = [], []
        for start in range(0, len(examples), batch_size):
            chunk = examples[start:start + batch_size]
            predictions = head.predict(make_batch(chunk))
            for e, row in zip(chunk, predictions):
                _, word_index = tokenizer.encode_words(e["tokens"], add_special_tokens=True)
                tags = ["O"] * len(e["tokens"])
                for k in reversed(range(len(word_index))):      # reversed: the first piece wins
                    if word_index[k] >= 0:
                        tags[word_index[k]] = tag_names[row[k]]
                gold.append(e["tags"])
                guess.append(tags)
        found = entity_scores(gold, guess)
        return {"f1": found["f1"], "precision": found["precision"], "recall": found["recall"]}

    return evaluate


# ----------------------------------------------------------------- question answering
def qa_features(tokenizer, example, max_len):
    """[CLS] question [SEP] context [SEP] with the answer's token span -> dict ids, segment_ids,
    start, end (token positions; 0, 0 when the answer was cut off), offsets (character span of each
    kept context token) and first (the position of the first context token)."""
    question = tokenizer.encode(example["question"])
    context, offsets = tokenizer.encode_with_offsets(example["context"])
    keep = max_len - len(question) - 3
    if keep < 1:
        raise ValueError(f"the question has {len(question)} tokens: no room for the context in max_len={max_len}")
    context, offsets = context[:keep], offsets[:keep]
    ids, segments = tokenizer.encode_pair(question, context)
    first = len(question) + 2
    start = end = 0
    if "answer_start" in example:
        a, b = example["answer_start"], example["answer_start"] + len(example["answer"])
        inside = [k for k, (s, e) in enumerate(offsets) if s < b and e > a]
        if inside and offsets[inside[-1]][1] >= b:
            start, end = first + inside[0], first + inside[-1]
    return {"ids": ids, "segment_ids": segments, "start": start, "end": end, "offsets": offsets, "first": first}


def qa_batcher(tokenizer, max_len):
    """make_batch(examples) for extractive QA."""
    def make_batch(examples):
        features = [qa_features(tokenizer, e, max_len) for e in examples]
        ids, segments, mask = padded([(f["ids"], f["segment_ids"]) for f in features], tokenizer)
        return {"ids": ids, "segment_ids": segments, "attention_mask": mask,
                "start_positions": np.asarray([f["start"] for f in features], dtype=np.int64),
                "end_positions": np.asarray([f["end"] for f in features], dtype=np.int64)}

    return make_batch


def qa_evaluator(tokenizer, max_len, make_batch, batch_size=64):
    """evaluate(head, examples) -> exact_match and f1 (SQuAD's, on the answer text), averaged:
    the best valid span in the context, mapped back to characters of the context."""
    def evaluate(head, examples):
        exact, f1 = [], []
        for i in range(0, len(examples), batch_size):
            chunk = examples[i:i + batch_size]
            starts, ends = head.predict(make_batch(chunk))
            for e, s, t in zip(chunk, starts, ends):
                f = qa_features(tokenizer, e, max_len)
                text = ""
                if s >= f["first"]:
                    text = e["context"][f["offsets"][s - f["first"]][0]:f["offsets"][t - f["first"]][1]]
                exact.append(exact_match(text, e["answer"]))
                f1.append(token_f1(text, e["answer"]))
        return {"exact_match": float(np.mean(exact)), "f1": float(np.mean(f1))}

    return evaluate


# ----------------------------------------------------------------- the recipe
def build_head(task, bert, seed=0):
    """The task head on `bert` for a task name (see KIND)."""
    kind, labels = KIND[task], task_info(task)["labels"]
    if kind in ("single", "pair"):
        return BertForSequenceClassification(bert, len(labels), seed=seed)
    if kind == "regression":
        return BertForSequenceClassification(bert, 1, seed=seed)
    if kind == "choice":
        return BertForMultipleChoice(bert, seed=seed)
    if kind == "tagging":
        return BertForTokenClassification(bert, len(labels), seed=seed)
    return BertForQuestionAnswering(bert, seed=seed)


def finetune_bert(task="sentiment", checkpoint=None, preset="tiny", vocab_size=1000, n_train=None, n_eval=None,
                  epochs=3, batch_size=16, lr=1e-3, seed=0, progress=True, out_dir=None, evals=4):
    """Finetune a BERT (pretrained from `checkpoint`, or the same BERT from scratch when None) on a toy-world task.

    task: sentiment, acceptability, paraphrase (alias pair), entailment, similarity, multiple_choice
    (alias choice), ner or qa. preset and vocab_size apply only without a checkpoint.
    n_train: use the first n training examples; n_eval: score on the first n dev and test examples only.
    evals: dev-loss measurements during training, for the loss curve (0: none).
    lr: AdamW peak learning rate (warmup over 10% of the steps, then cosine decay); 1e-3 suits the tiny
    presets, whose fresh task head barely moves in a few hundred steps at 3e-4.
    Returns (scores, head): scores = {"dev": {...}, "test": {...}} with the task's metrics
    (see recipes.finetune.SCORES).
    """
    task = ALIASES.get(task, task)
    if task not in KIND:
        raise ValueError(f"BERT finetuning supports {sorted(KIND) + sorted(ALIASES)}, got {task!r}")
    train, dev, test = load_splits(task, n_train, n_eval)
    bert, tok = prepare_bert(checkpoint, preset, vocab_size, seed)
    head = build_head(task, bert, seed)
    max_len = bert.config.max_position
    evaluate = None
    if KIND[task] == "tagging":
        tags = task_info(task)["labels"]
        make_batch = ner_batcher(tok, tags)
        evaluate = ner_evaluator(tok, tags, make_batch)
    elif KIND[task] == "span":
        make_batch = qa_batcher(tok, max_len)
        evaluate = qa_evaluator(tok, max_len, make_batch)
    else:
        make_batch = sequence_batcher(task, tok, max_len)
    scores, _ = finetune(head, make_batch, task, train, dev, test, epochs=epochs, batch_size=batch_size, lr=lr,
                         seed=seed, progress=progress, out_dir=out_dir, evaluate=evaluate, evals=evals)
    return scores, head
