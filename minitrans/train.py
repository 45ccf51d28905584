"""The training loop shared by every model family.

    batch = get_batch(rng)                        # the data objective
    loss, metrics = step_fn(model, batch)         # forward, loss, backward: fills p.grad
    clip_grad_norm(...); optimizer.step()         # AdamW with warmup + cosine decay

It shows a progress bar with the loss and tokens per second, evaluates
periodically, writes a JSON-lines log, a loss-curve PNG and checkpoints, and
resumes exactly: the checkpoint holds the weights, the optimizer state, the step,
the data generator's state and the model's dropout generators, so a resumed run
computes the same losses as an uninterrupted one.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .checkpoint import load_checkpoint, save_checkpoint
from .optim import AdamW, WarmupCosineLR, clip_grad_norm
from .tuning import tune_cpu


@dataclass
class TrainConfig:
    """Settings of one training run (the defaults are the classic CPU baby-GPT recipe)."""

    iters: int = 2000
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup: int = 100
    weight_decay: float = 0.1
    betas: tuple = (0.9, 0.99)
    grad_clip: float = 1.0
    grad_accum: int = 1
    eval_interval: int = 250
    eval_iters: int = 20
    checkpoint_interval: int = 0     # 0: only at the end (when out_dir is set)
    seed: int = 1337
    out_dir: str | None = None
    progress: bool = True            # the progress bar and the evaluation lines; False: quiet

    def __post_init__(self):
        if self.iters < 0 or self.grad_accum < 1 or self.eval_interval < 0:
            raise ValueError(f"iters >= 0, grad_accum >= 1 and eval_interval >= 0 are required, got {self}")


class Trainer:
    """Runs `step_fn` over batches from `get_batch` with AdamW, logging and checkpoints.

    get_batch(split, rng) -> batch: draws a batch of "train" or "val" data with the generator given.
    step_fn(model, batch, backward) -> (loss, metrics): forward and loss, and backward when
        `backward` is True (adding into p.grad); metrics is a dict of floats,
        with "tokens" (how many tokens the batch held) when it can.
    """

    def __init__(self, model, get_batch, step_fn, config: TrainConfig, model_config=None, tokenizer=None):
        self.model, self.get_batch, self.step_fn, self.cfg = model, get_batch, step_fn, config
        self.model_config, self.tokenizer = model_config, tokenizer
        schedule = WarmupCosineLR(config.lr, min(config.warmup, config.iters), max(config.iters, 1), config.min_lr)
        self.optimizer = AdamW(model, lr=schedule, betas=config.betas, weight_decay=config.weight_decay)
        self.rng = np.random.default_rng(config.seed)
        self.step = 0
        self.history = []          # one dict per logged event: {"step", "split", "loss", ...}

    # ------------------------------------------------------------ paths
    @property
    def checkpoint_path(self):
        return None if self.cfg.out_dir is None else Path(self.cfg.out_dir) / "checkpoint.safetensors"

    def log(self, record):
        """Append a record to the history and to out_dir/log.jsonl."""
        self.history.append(record)
        if self.cfg.out_dir is not None:
            with open(Path(self.cfg.out_dir) / "log.jsonl", "a") as f:
                f.write(json.dumps(record) + "\n")

    # ------------------------------------------------------------ steps
    def train_step(self):
        """One optimizer step (with gradient accumulation) -> (loss, metrics)."""
        self.model.train()
        self.optimizer.zero_grad()
        losses, metrics = [], {}
        for _ in range(self.cfg.grad_accum):
            loss, m = self.step_fn(self.model, self.get_batch("train", self.rng), True)
            losses.append(loss)
            for k, v in m.items():
                metrics[k] = metrics.get(k, 0.0) + v / self.cfg.grad_accum
        if self.cfg.grad_accum > 1:
            for p in self.model.parameters():
                p.grad /= self.cfg.grad_accum
        loss = float(np.mean(losses))
        if not np.isfinite(loss):
            raise FloatingPointError(f"training loss became {loss} at step {self.step}")
        metrics["grad_norm"] = clip_grad_norm(self.model.parameters(), self.cfg.grad_clip)
        metrics["lr"] = self.optimizer.lr
        self.optimizer.step()
        self.step += 1
        return loss, metrics

    def evaluate(self, splits=("train", "val")):
        """Mean loss (and metrics) over eval_iters batches per split, from a fixed generator."""
        self.model.eval()
        result = {}
        for split in splits:
            rng = np.random.default_rng([self.cfg.seed, 1 + splits.index(split)])
            totals = {}
            for _ in range(self.cfg.eval_iters):
                loss, m = self.step_fn(self.model, self.get_batch(split, rng), False)
                for k, v in {"loss": loss, **m}.items():
                    totals[k] = totals.get(k, 0.0) + v / self.cfg.eval_iters
            result[split] = totals
        self.model.train()
        return result

    # ------------------------------------------------------------ checkpoints
    def save(self):
        """Write the checkpoint (atomically) to out_dir/checkpoint.safetensors."""
        save_checkpoint(self.checkpoint_path, self.model, self.optimizer, self.step,
                        config=self.model_config, rng_state=self.rng.bit_generator.state,
                        tokenizer=self.tokenizer,
                        extra={"train_config": asdict(self.cfg), "history": self.history})

    def resume(self):
        """Restore everything from out_dir's checkpoint, so that training continues exactly."""
        if self.checkpoint_path is None or not self.checkpoint_path.exists():
            raise FileNotFoundError(f"nothing to resume: no checkpoint at {self.checkpoint_path}")
        ckpt = load_checkpoint(self.checkpoint_path, self.model, self.optimizer)
        self.step = ckpt.step
        self.rng.bit_generator.state = ckpt.rng_state
        self.history = list(ckpt.extra["history"])
        log_path = Path(self.cfg.out_dir) / "log.jsonl"   # rewrite the log to match the checkpoint
        log_path.write_text("".join(json.dumps(r) + "\n" for r in self.history))

    # ------------------------------------------------------------ the loop
    def run(self, resume=False):
        """Train until cfg.iters steps; returns the history (a list of dicts)."""
        tune_cpu()                        # the process-wide settings that make training fast (tuning.py)
        cfg = self.cfg
        if cfg.out_dir is not None:
            os.makedirs(cfg.out_dir, exist_ok=True)
            if resume:
                self.resume()
            else:
                (Path(cfg.out_dir) / "log.jsonl").write_text("")
        bar = tqdm(total=cfg.iters, initial=self.step, disable=not cfg.progress, dynamic_ncols=True,
                   desc="train")
        t_last, tokens = time.perf_counter(), 0.0
        while self.step < cfg.iters:
            loss, metrics = self.train_step()
            tokens += metrics.get("tokens", 0.0) * cfg.grad_accum
            now = time.perf_counter()
            self.log({"step": self.step, "split": "train", "loss": loss,
                      **{k: float(v) for k, v in metrics.items()}})
            bar.update(1)
            if now - t_last > 0.5:
                bar.set_postfix(loss=f"{loss:.4f}", tok_s=f"{tokens / (now - t_last):,.0f}")
                t_last, tokens = now, 0.0
            if cfg.eval_interval and (self.step % cfg.eval_interval == 0 or self.step == cfg.iters):
                self.log_evaluation(bar)
            if cfg.checkpoint_interval and self.step % cfg.checkpoint_interval == 0 and cfg.out_dir:
                self.save()
        bar.close()
        if cfg.out_dir is not None:
            self.save()
            self.plot()
        return self.history

    def log_evaluation(self, bar):
        """Evaluate, log the result and write it above the progress bar."""
        result = self.evaluate()
        parts = []
        for split, metrics in result.items():
            self.log({"step": self.step, "split": split + "_eval", **metrics})
            parts.append(f"{split} loss {metrics['loss']:.4f}")
        if self.cfg.progress:
            bar.write(f"step {self.step}: " + ", ".join(parts))

    def plot(self):
        """Write out_dir/loss.png: training loss and the periodic evaluations."""
        from .plot import plot_history
        plot_history(self.history, Path(self.cfg.out_dir) / "loss.png")

    def final_loss(self, split="val"):
        """The last evaluated loss of a split (None if never evaluated)."""
        for r in reversed(self.history):
            if r["split"] == split + "_eval":
                return r["loss"]
        return None
