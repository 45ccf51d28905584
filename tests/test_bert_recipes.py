"""BERT end to end on the toy world: pretraining, resume, fill-mask, masked probes, finetuning, CLI."""
import json
import math

import numpy as np
import pytest

from minitrans.checkpoint import load_checkpoint, save_checkpoint
from minitrans.cli import main
from minitrans.data import PHENOMENA, Probe, load_corpus, load_probes
from minitrans.eval.fill_mask import fill_iteratively, fill_mask, masked_log_probs
from minitrans.eval.probes import masked_probe_choice, masked_probe_scores, probe_accuracy
from minitrans.models import BertConfig, BertModel
from minitrans.recipes.bert import (build_pairs, chunk_document, encode_documents, load_bert, mlm_batch,
                                    pretrain_bert, probe_report, train_wordpiece)
from minitrans.recipes.bert_finetune import KIND, finetune_bert, ner_batcher, qa_features
from minitrans.train import TrainConfig

ITERS = 40


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    out = tmp_path_factory.mktemp("bert") / "run"
    cfg = TrainConfig(iters=ITERS, lr=3e-3, min_lr=3e-4, warmup=5, weight_decay=0.01, betas=(0.9, 0.999),
                      eval_interval=20, eval_iters=2, out_dir=str(out), progress=False)
    model, tok, trainer = pretrain_bert("toyworld", "tiny", batch_size=16, max_len=64, passes=1, train_config=cfg)
    return model, tok, trainer, out


@pytest.fixture(scope="module")
def tokenizer():
    from minitrans.data import corpus_to_text
    return train_wordpiece(corpus_to_text(load_corpus()))


# ------------------------------------------------------------------ data
def test_wordpiece_keeps_probe_candidates_whole(tokenizer):
    words = {c for p in load_probes() for c in p.candidates}
    split = sorted(w for w in words if len(tokenizer.encode(w)) > 1)
    assert tokenizer.vocab_size <= 1000 and len(split) <= 10, split     # only numbers the corpus never writes
    assert all(w.isdigit() for w in split)


def test_chunks_keep_every_token_and_give_pairs(tokenizer):
    rng = np.random.default_rng(0)
    for doc in encode_documents(load_corpus()[:50], tokenizer):
        segments = chunk_document(doc, 20, rng)
        assert np.array_equal(np.concatenate(segments), np.concatenate(doc))
        assert len(segments) >= 2 and all(len(s) <= 20 for s in segments)    # no toy sentence is longer


def test_pairs_and_masked_batches(tokenizer):
    docs = encode_documents(load_corpus()[:40], tokenizer)
    rng = np.random.default_rng(0)
    pairs = build_pairs(docs, tokenizer, 48, rng, nsp=True)
    labels = np.array([p[2] for p in pairs])
    assert 0.25 < labels.mean() < 0.75 and max(len(p[0]) for p in pairs) <= 48
    ids, segments, _ = pairs[0]
    assert ids[0] == tokenizer.cls_id and ids[-1] == tokenizer.sep_id and list(ids).count(tokenizer.sep_id) == 2
    assert segments[0] == 0 and segments[-1] == 1
    contiguous = build_pairs(docs, tokenizer, 48, rng, nsp=False)
    assert all(p[2] == 1 for p in contiguous)
    batch = mlm_batch(pairs, np.arange(8), tokenizer, rng, mask_only=True)
    chosen = batch["mlm_labels"] != -100
    assert chosen.any() and np.all(batch["ids"][chosen] == tokenizer.mask_id)
    assert not np.any(chosen & ~batch["attention_mask"])        # padding is never chosen


# ------------------------------------------------------------------ pretraining
def test_pretraining_writes_files_and_mlm_loss_falls(pretrained):
    model, tok, trainer, out = pretrained
    for name in ("checkpoint.safetensors", "log.jsonl", "loss.png"):
        assert (out / name).exists()
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    train = [r for r in records if r["split"] == "train"]
    assert len(train) == ITERS and {"mlm_loss", "mlm_acc", "nsp_loss", "nsp_acc"} <= set(train[0])
    assert train[0]["mlm_loss"] > math.log(tok.vocab_size) - 0.3       # starts at chance: ln 960 = 6.87
    val = [r for r in records if r["split"] == "val_eval"][-1]
    assert val["mlm_loss"] < 5.5 and val["mlm_acc"] > 0.05


def test_load_bert_restores_model_and_tokenizer(pretrained, tmp_path):
    model, tok, _, out = pretrained
    loaded, tok2 = load_bert(out / "checkpoint.safetensors")
    assert tok2.get_vocab() == tok.get_vocab()
    for (name, p), (_, q) in zip(model.named_parameters(), loaded.named_parameters()):
        assert np.array_equal(p.data, q.data), name
    body = BertModel(BertConfig.preset("tiny", vocab_size=50))
    save_checkpoint(tmp_path / "body.safetensors", body, config=body.config)
    with pytest.raises(ValueError, match="expected a BertForPreTraining"):
        load_bert(tmp_path / "body.safetensors")


def test_cli_resume_continues_the_run(tmp_path, capsys):
    corpus = tmp_path / "docs.txt"
    corpus.write_text("\n\n".join("\n".join(doc) for doc in load_corpus()[:120]) + "\n")
    out = tmp_path / "run"
    common = ["pretrain", "bert", "--corpus", str(corpus), "--vocab-size", "300", "--batch-size", "8",
              "--max-len", "48", "--eval-interval", "10", "--warmup", "3", "--out", str(out), "--no-progress"]
    assert main(common + ["--iters", "10"]) == 0
    first = (out / "log.jsonl").read_text().splitlines()
    assert main(common + ["--iters", "20", "--resume"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("final val loss: ")
    log = (out / "log.jsonl").read_text().splitlines()
    assert log[:len(first)] == first                          # the history up to the checkpoint is kept
    steps = [json.loads(line)["step"] for line in log if '"split": "train"' in line]
    assert steps == list(range(1, 21))                       # and training went on from step 11
    assert load_checkpoint(out / "checkpoint.safetensors").step == 20


# ------------------------------------------------------------------ fill-mask and probes
def test_fill_mask_top_k(pretrained):
    model, tok, _, _ = pretrained
    answers = fill_mask(model, tok, "[MASK] is the capital of Borovia.", top_k=5)
    probs = [p for _, p in answers]
    assert len(answers) == 5 and all(isinstance(w, str) for w, _ in answers)
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-9
    two = fill_mask(model, tok, "[MASK] met [MASK] at school.", top_k=2)
    assert len(two) == 2 and all(len(a) == 2 for a in two)


def test_fill_iteratively_fills_one_mask_per_step_most_confident_first(pretrained):
    model, tok, _, _ = pretrained
    steps = fill_iteratively(model, tok, "[MASK] met [MASK] at [MASK].")
    assert len(steps) == 3 and "[MASK]" not in steps[-1].upper()
    assert [s.upper().count("[MASK]") for s in steps] == [2, 1, 0]
    first = fill_mask(model, tok, "[MASK] met [MASK] at [MASK].", top_k=1)      # [[(token, p)], ...] per mask
    best = max(range(3), key=lambda i: first[i][0][1])
    ids = tok.encode("[MASK] met [MASK] at [MASK].")
    ids[[i for i, t in enumerate(ids) if t == tok.mask_id][best]] = tok.token_to_id(first[best][0][0])
    assert steps[0] == tok.decode(ids)
    with pytest.raises(ValueError, match="no \\[MASK\\]"):
        fill_iteratively(model, tok, "Jack works at the bank.")


def test_fill_mask_errors(pretrained):
    model, tok, _, _ = pretrained
    with pytest.raises(ValueError, match="no \\[MASK\\]"):
        fill_mask(model, tok, "Jack works at the bank.")
    with pytest.raises(ValueError, match="max_position"):
        fill_mask(model, tok, "[MASK] " + "the cat " * 100)
    with pytest.raises(TypeError, match="masked language model"):
        fill_mask(model.bert, tok, "[MASK] is here.")
    with pytest.raises(ValueError, match="top_k"):
        fill_mask(model, tok, "[MASK] is here.", top_k=0)


def test_masked_probe_scores_sum_piece_log_probs(pretrained):
    model, tok, _, _ = pretrained
    # a number the WordPiece vocabulary splits in two: a candidate of two pieces gets two [MASK]s
    word = next(str(n) for n in range(100, 1000) if len(tok.encode(str(n))) == 2)
    probe = Probe("Now she has ___ bucks.", word, (word, "20"), "numbers", "money")
    scores = masked_probe_scores(model, tok, probe)
    for candidate, score in zip(probe.candidates, scores):
        ids = np.array([tok.encode_single(probe.masked(" ".join(["[MASK]"] * len(tok.encode(candidate)))))[0]])
        log_probs = masked_log_probs(model, ids, None, ids == tok.mask_id)
        expected = sum(log_probs[k, t] for k, t in enumerate(tok.encode(candidate)))
        assert score == pytest.approx(expected, abs=1e-5)
    assert masked_probe_choice(model, tok, probe) == int(np.argmax(scores))


def test_probe_accuracy_per_phenomenon(pretrained):
    model, tok, _, _ = pretrained
    probes = load_probes()[::20]
    acc = probe_accuracy(probes, lambda p: masked_probe_choice(model, tok, p))
    assert set(acc) == set(PHENOMENA) | {"all"} and all(0 <= v <= 1 for v in acc.values())
    report = probe_report(model, tok, probes)
    assert list(report) == ["chance", "random init", "pretrained"] and report["pretrained"] == acc


# ------------------------------------------------------------------ finetuning
def test_qa_labels_point_at_the_answer(tokenizer):
    from minitrans.data import load_task
    from minitrans.eval.metrics import normalize_answer
    for e in load_task("qa", "train")[:300]:
        f = qa_features(tokenizer, e, 128)
        assert f["ids"][f["first"] - 1] == tokenizer.sep_id and f["segment_ids"][f["first"]] == 1
        start, end = (f["offsets"][k - f["first"]] for k in (f["start"], f["end"]))
        assert normalize_answer(e["context"][start[0]:end[1]]) == normalize_answer(e["answer"])


def test_ner_labels_only_first_pieces(tokenizer):
    batch = ner_batcher(tokenizer, ["O", "B-PER", "I-PER"])([{"tokens": ["Nick", "Zzyzxq", "."],
                                                               "tags": ["B-PER", "I-PER", "O"]}])
    pieces = tokenizer.encode("Zzyzxq")
    assert len(pieces) > 1
    expected = [-100, 1, 2] + [-100] * (len(pieces) - 1) + [0, -100]
    assert batch["labels"][0].tolist() == expected


EXPECTED = {"single": {"accuracy"}, "pair": {"accuracy"}, "regression": {"pearson", "spearman"},
            "choice": {"accuracy"}, "tagging": {"f1", "precision", "recall"}, "span": {"exact_match", "f1"}}


@pytest.mark.parametrize("task", sorted(KIND))
def test_finetune_every_task_runs(task, pretrained):
    _, _, _, out = pretrained
    scores, head = finetune_bert(task, str(out / "checkpoint.safetensors"), n_train=16, n_eval=16, epochs=1,
                                 batch_size=8, progress=False)
    assert set(scores) == {"dev", "test"}
    extra = {"acceptability": {"mcc"}, "paraphrase": {"f1"}}.get(task, set())
    assert set(scores["dev"]) == EXPECTED[KIND[task]] | extra
    assert all(np.isfinite(v) for v in scores["test"].values())


def test_finetune_sentiment_learns_from_scratch():
    scores, _ = finetune_bert("sentiment", None, n_train=1000, n_eval=200, epochs=2, progress=False)
    assert scores["test"]["accuracy"] > 0.75          # chance: 0.5


def test_finetune_errors():
    with pytest.raises(ValueError, match="BERT finetuning supports"):
        finetune_bert("translation")
    with pytest.raises(ValueError, match="n_eval"):
        finetune_bert("sentiment", n_eval=0)


@pytest.mark.parametrize("task", ["ner", "qa"])
def test_cli_finetune_ner_and_qa(task, pretrained, capsys):
    _, _, _, out = pretrained
    args = ["finetune", "bert", "--task", task, "--from", str(out / "checkpoint.safetensors"), "--n-train", "16",
            "--n-eval", "16", "--epochs", "1", "--batch-size", "8", "--no-progress"]
    assert main(args) == 0
    dev, test = capsys.readouterr().out.strip().splitlines()[-2:]
    assert dev.startswith("dev: ") and test.startswith("test: ")
    assert ("exact_match" in test) if task == "qa" else ("precision" in test)


def test_cli_probe(pretrained, capsys):
    _, _, _, out = pretrained
    assert main(["probe", "bert", "--checkpoint", str(out / "checkpoint.safetensors"), "--phenomenon", "syntax"]) == 0
    header, _, chance, random_init, trained = capsys.readouterr().out.strip().splitlines()
    assert header == "| model | syntax | all |" and chance.startswith("| chance | 0.50 |")
    assert random_init.startswith("| random init |") and trained.startswith("| pretrained |")
    assert main(["probe", "bert", "--checkpoint", str(out / "checkpoint.safetensors"), "--phenomenon", "x"]) == 2
