"""BERT pretraining: WordPiece, sentence-pair packing, 80/10/10 masking, MLM + NSP, the shared Trainer.

    documents --WordPiece--> sentences of ids --chunk_document--> segments (runs of consecutive sentences)
      --nsp_pairs--> (A, B, is_next) --pack_pair--> [CLS] A [SEP] B [SEP] with segment ids
      --pad_batch + mask_tokens--> batch --BertForPreTraining.loss--> MLM (+ NSP) loss and metrics
"""
from __future__ import annotations

import numpy as np

from ..data import length_buckets, load_probes, mask_tokens, nsp_pairs, pack_pair, pad_batch
from ..data.toyworld import load_corpus, text_to_corpus
from ..eval.probes import chance_accuracy, masked_probe_choice, probe_accuracy
from ..models import BertConfig, BertForPreTraining, BertModel
from ..tokenizers import WordPieceTokenizer
from ..train import Trainer, TrainConfig
from .corpora import load_corpus_text
from .runs import load_pretrained, resumed_tokenizer, run_and_plot

ITERS = 4000
MIN_MAX_LEN = 5     # [CLS] A [SEP] B [SEP] with one token in each segment


def default_train_config(iters=ITERS, **changes):
    """The BERT recipe's training settings: AdamW with lr 3e-3 warmed up over min(100, iters / 10) steps
    and cosine-decayed to 3e-4, weight decay 0.01, betas (0.9, 0.999), clipping at 1.0, an evaluation on
    10 batches every min(250, iters / 4) steps (and a checkpoint with it); `changes` replace any."""
    settings = {"lr": 3e-3, "min_lr": 3e-4, "warmup": min(100, iters // 10), "weight_decay": 0.01,
                "betas": (0.9, 0.999), "eval_iters": 10, "eval_interval": max(1, min(250, iters // 4))}
    return TrainConfig(iters=iters, **{**settings, **changes})


def train_wordpiece(text, vocab_size=1000):
    """A lowercasing WordPiece tokenizer trained on `text`. On the toy world a vocabulary of 1000
    saturates at 960 pieces (every piece seen twice): all but five of its ~460 words, and every
    probe candidate except a few numbers the corpus never writes, are single pieces."""
    return WordPieceTokenizer.train([text], vocab_size)


def encode_documents(documents, tokenizer):
    """Documents (lists of sentence strings) -> lists of int64 id arrays; empty sentences are dropped."""
    out = []
    for doc in documents:
        sentences = [np.asarray(tokenizer.encode(s), dtype=np.int64) for s in doc]
        out.append([s for s in sentences if len(s)])
    return out


def chunk_document(sentences, budget, rng):
    """Consecutive sentences grouped into segments of at most `budget` tokens.

    Each segment's target length is drawn from [budget // 4, budget], so segments range from one
    sentence to several; a sentence longer than `budget` is a segment alone (pack_pair truncates it).
    A document of two or more sentences that fits in one segment is cut at a random sentence
    boundary, so that every document gives at least one (A, B) pair.
    """
    segments, current, length = [], [], 0
    target = rng.integers(max(1, budget // 4), budget + 1)
    for s in sentences:
        if current and length + len(s) > target:
            segments.append(np.concatenate(current))
            current, length, target = [], 0, rng.integers(max(1, budget // 4), budget + 1)
        current.append(s)
        length += len(s)
    if len(segments) == 0 and len(current) >= 2:
        cut = int(rng.integers(1, len(current)))
        segments.append(np.concatenate(current[:cut]))
        current = current[cut:]
    if current:
        segments.append(np.concatenate(current))
    return segments


def build_pairs(documents_ids, tokenizer, max_len, rng, nsp=True, passes=1):
    """Packed pretraining examples [(ids, segment_ids, is_next)], `passes` times over the documents
    (each pass cuts the documents into segments afresh). With nsp, B follows A half of the time and is
    a random segment of another document otherwise (nsp_pairs); without nsp, B always follows A."""
    budget = (max_len - 3) // 2
    pairs = []
    for _ in range(passes):
        chunked = [chunk_document(doc, budget, rng) for doc in documents_ids]
        if nsp:
            raw = nsp_pairs(chunked, rng)
        else:
            raw = [(a, b, 1) for doc in chunked for a, b in zip(doc, doc[1:])]
        for a, b, is_next in raw:
            ids, segments = pack_pair(a, b, tokenizer.cls_id, tokenizer.sep_id, max_len)
            pairs.append((ids, segments, is_next))
    if not pairs:
        raise ValueError("no sentence pairs: the corpus needs documents of at least two sentences")
    return pairs


def mlm_batch(pairs, picks, tokenizer, rng, mask_only=False, mask_prob=0.15):
    """The pairs at indices `picks`, right padded and masked (mask_tokens: `mask_prob` of the tokens,
    80/10/10 or all [MASK])
    -> dict ids, segment_ids, attention_mask (B, T), mlm_labels (B, T), nsp_labels (B,)."""
    ids, mask = pad_batch([pairs[i][0] for i in picks], tokenizer.pad_id)
    segments, _ = pad_batch([pairs[i][1] for i in picks], 0)
    inputs, labels = mask_tokens(ids, rng, tokenizer.vocab_size, tokenizer.mask_id, tokenizer.special_ids,
                                 mask_prob=mask_prob, mask_only=mask_only)
    return {"ids": inputs, "segment_ids": segments, "attention_mask": mask, "mlm_labels": labels,
            "nsp_labels": np.asarray([pairs[i][2] for i in picks], dtype=np.int64)}


def draw_batch(lengths, batch_size, rng, pool_batches=50):
    """Indices of one batch of similar lengths: draw `pool_batches` batches' worth of random examples,
    sort them by length into batches (length_buckets) and take one of those batches at random. Every
    example is equally likely, padding stays small, and everything comes from `rng` (so resume is exact)."""
    if len(lengths) <= batch_size:
        return np.arange(len(lengths))
    pool = rng.choice(len(lengths), size=min(len(lengths), batch_size * pool_batches), replace=False)
    return pool[length_buckets(lengths[pool], batch_size, rng, pool_batches)[0]]


def pretraining_step(model, batch, backward):
    """MLM (+ NSP) loss of one batch; metrics mlm_loss, mlm_acc (on masked positions), nsp_loss, nsp_acc,
    masked (how many tokens were predicted) and tokens (real input tokens, for tokens per second)."""
    loss, metrics = model.loss(batch, backward=backward)
    metrics = {k: v for k, v in metrics.items() if k != "loss"}
    metrics["masked"] = metrics.pop("tokens")
    metrics["tokens"] = float(batch["attention_mask"].sum())
    return loss, metrics


def pretrain_bert(corpus="toyworld", preset="tiny", vocab_size=1000, iters=ITERS, batch_size=32, max_len=128,
                  mask_only=False, mask_prob=0.15, nsp=True, dropout=0.0, passes=4, val_fraction=0.1, out_dir=None,
                  resume=False, progress=True, train_config=None, until=None, **overrides):
    """Pretrain a BERT with masked LM (+ next sentence prediction) on a corpus.

    corpus: 'toyworld', 'shakespeare' or a text file (a blank line between documents, a sentence a line).
    preset: a BertConfig preset ('tiny', 'mini'); overrides: other BertConfig fields (seed=1, ...).
    mask_prob: the share of tokens the MLM predicts (BERT's 15%); mask_only: every chosen token becomes
    [MASK] (no 10% random / 10% kept); nsp=False: MLM only.
    dropout: 0 by default: the runs are short and the toy world is large enough not to overfit.
    The training settings are default_train_config's, or the TrainConfig in train_config.
    The last `val_fraction` of the documents are held out for evaluation. With out_dir the run
    writes log.jsonl, loss.png and checkpoint.safetensors there; resume=True continues that run
    exactly, with the tokenizer stored in its checkpoint; until=N stops at step N of the schedule (Trainer.run).
    Returns (model: BertForPreTraining, tokenizer, trainer).
    """
    if max_len < MIN_MAX_LEN:
        raise ValueError(f"max_len must be at least {MIN_MAX_LEN} ([CLS] A [SEP] B [SEP] with a token in A "
                         f"and in B), got {max_len}")
    cfg = train_config or default_train_config(iters, out_dir=out_dir, progress=progress)
    text = load_corpus_text(corpus)
    documents = load_corpus() if corpus == "toyworld" else text_to_corpus(text)
    tok = resumed_tokenizer(cfg.out_dir, BertForPreTraining) if resume else train_wordpiece(text, vocab_size)
    config = BertConfig.preset(preset, **{"vocab_size": tok.vocab_size, "dropout": dropout, **overrides})
    if max_len > config.max_position:
        raise ValueError(f"max_len {max_len} is longer than the model's max_position {config.max_position}")
    n_val = max(1, int(round(len(documents) * val_fraction)))
    if len(documents) - n_val < 2 or n_val < 2:
        raise ValueError(f"the corpus has {len(documents)} documents; pretraining needs at least 2 for training "
                         f"and 2 for validation (val_fraction={val_fraction})")
    encoded = encode_documents(documents, tok)
    rng = np.random.default_rng(cfg.seed)
    pairs = {"train": build_pairs(encoded[:-n_val], tok, max_len, rng, nsp, passes),
             "val": build_pairs(encoded[-n_val:], tok, max_len, rng, nsp, 1)}
    model = BertForPreTraining(BertModel(config), nsp=nsp, seed=config.seed)

    lengths = {split: np.array([len(p[0]) for p in examples]) for split, examples in pairs.items()}

    def get_batch(split, rng):
        return mlm_batch(pairs[split], draw_batch(lengths[split], batch_size, rng), tok, rng, mask_only, mask_prob)

    trainer = Trainer(model, get_batch, pretraining_step, cfg, model_config=config, tokenizer=tok)
    run_and_plot(trainer, resume, until)
    model.eval()
    return model, tok, trainer


def load_bert(path):
    """A BertForPreTraining (in eval mode) and its tokenizer from a checkpoint written by pretrain_bert."""
    def make_model(config, ckpt):
        nsp = any(name.startswith("nsp_head.") for name in ckpt.model_state)
        return BertForPreTraining(BertModel(config), nsp=nsp, seed=config.seed)
    return load_pretrained(path, BertForPreTraining, BertConfig, make_model)


def random_init_like(model):
    """The same BertForPreTraining as `model` (config, seed, heads) before any training, in eval mode."""
    config = model.bert.config
    fresh = BertForPreTraining(BertModel(config), nsp=model.nsp_head is not None, seed=config.seed)
    fresh.eval()
    return fresh


def probe_report(model, tokenizer, probes=None):
    """Word-guessing probe accuracy per phenomenon (and "all") of a pretrained BERT, of the same model at
    random initialisation, and of chance -> {"chance": {...}, "random init": {...}, "pretrained": {...}}
    (format it with eval.probes.format_table). Scoring: eval.probes.masked_probe_scores."""
    probes = load_probes() if probes is None else probes
    fresh = random_init_like(model)
    return {"chance": chance_accuracy(probes),
            "random init": probe_accuracy(probes, lambda p: masked_probe_choice(fresh, tokenizer, p)),
            "pretrained": probe_accuracy(probes, lambda p: masked_probe_choice(model, tokenizer, p))}
