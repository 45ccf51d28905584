"""The training loop shared by every model family.

    batch = get_batch("train", rng)               # the data objective
    loss, metrics = step_fn(model, batch, True)   # forward, loss, backward: fills p.grad
    clip_grad_norm(...); optimizer.step()         # AdamW with warmup + cosine decay

It shows a progress bar with the loss and tokens per second, evaluates
periodically, writes a JSON-lines log and checkpoints, and resumes exactly: the
checkpoint holds the weights, the optimizer state, the step, the data generator's
state and the model's dropout generators, so a resumed run computes the same
losses as an uninterrupted one. Ctrl-C (SIGINT) or SIGTERM ends the run after the
step in progress, with a checkpoint of that step. Plotting is the caller's
(minitrans.plot.plot_history(trainer.history, path)).
"""
from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .checkpoint import check_generator_state, load_checkpoint, restore_checkpoint, save_checkpoint
from .files import atomic_write_text, make_directory
from .optim import AdamW, WarmupCosineLR, clip_grad_norm
from .tuning import tune_cpu


@dataclass
class TrainConfig:
    """Settings of one training run (the defaults are the classic CPU baby-GPT recipe, which
    minitrans.recipes.causal_lm uses as they are; other recipes state their own in a train_config())."""

    iters: int = 2000
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup: int = 100
    weight_decay: float = 0.1
    betas: tuple = (0.9, 0.99)
    grad_clip: float = 1.0
    grad_accum: int = 1
    eval_interval: int = 250         # 0: never evaluate
    eval_iters: int = 20
    checkpoint_interval: int | None = None   # None: at every evaluation; N: every N steps; 0: only at the end
    seed: int = 1337
    out_dir: str | None = None
    progress: bool = True            # the progress bar and the evaluation lines; False: quiet

    def __post_init__(self):
        every = self.checkpoint_interval
        if self.iters < 0 or self.grad_accum < 1 or self.eval_interval < 0 or (every is not None and every < 0):
            raise ValueError("iters >= 0, grad_accum >= 1, eval_interval >= 0 and checkpoint_interval >= 0 "
                             f"(or None) are required, got {self}")


class Interrupted(KeyboardInterrupt):
    """Raised by Trainer.run when SIGINT (Ctrl-C) or SIGTERM stopped the run between two steps.

    signal_name: "SIGINT" or "SIGTERM"; step: the steps done; checkpoint_path: where that
    step was saved (None without out_dir). Run again with resume=True to continue exactly.
    """

    def __init__(self, signal_name, step, checkpoint_path):
        saved = f", checkpoint saved to {checkpoint_path}" if checkpoint_path else ", nothing saved (no out_dir)"
        super().__init__(f"{signal_name} at step {step}{saved}")
        self.signal_name, self.step, self.checkpoint_path = signal_name, step, checkpoint_path


class Diverged(FloatingPointError):
    """Raised by Trainer.train_step when the loss or the gradient norm is not finite, before the
    optimizer step: the weights stay those of the last good step, and no checkpoint of a diverged
    model is written. step: the steps done; what: "loss" or "gradient norm"; value: what it was."""

    def __init__(self, step, what, value):
        super().__init__(f"training diverged at step {step + 1}: the {what} is {value}; the weights were "
                         "left as they were after the last good step (try a lower learning rate)")
        self.step, self.what, self.value = step, what, value


@contextlib.contextmanager
def stop_requests():
    """While active, SIGINT and SIGTERM only note their name in the list it yields, so that the
    training loop can finish its step and save; a second signal stops at once (KeyboardInterrupt).
    Signal handlers can only be set in the main thread; elsewhere the signals keep their handlers."""
    requested = []
    if threading.current_thread() is not threading.main_thread():
        yield requested
        return

    def note(signum, frame):
        if requested:
            raise KeyboardInterrupt(f"second {signal.Signals(signum).name}: stopping without saving")
        requested.append(signal.Signals(signum).name)

    previous = {s: signal.signal(s, note) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield requested
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)


class Trainer:
    """Runs `step_fn` over batches from `get_batch` with AdamW, logging and checkpoints.

        trainer = Trainer(model, get_batch, step_fn, TrainConfig(iters=500, out_dir="runs/x"),
                          model_config=config, tokenizer=tok)
        history = trainer.run()              # or trainer.run(resume=True) to continue runs/x

    model: a Module; its parameters are trained.
    get_batch(split, rng) -> batch: draws a batch of "train" or "val" data with the generator given.
    step_fn(model, batch, backward) -> (loss, metrics): forward and loss, and backward when
        `backward` is True (adding into p.grad); metrics is a dict of floats,
        with "tokens" (how many tokens the batch held) when it can.
    config: a TrainConfig. model_config, tokenizer: stored in the checkpoint (dataclass or
        to_dict()), so that the model and its tokenizer can be rebuilt from the file alone.
    on_evaluate(trainer): called after each periodic evaluation, e.g. to measure the model at
        that step (zero-shot scores through pretraining); it must leave the model as it found it.
    """

    def __init__(self, model, get_batch, step_fn, config: TrainConfig, model_config=None, tokenizer=None,
                 on_evaluate=None):
        self.model, self.get_batch, self.step_fn, self.cfg = model, get_batch, step_fn, config
        self.model_config, self.tokenizer, self.on_evaluate = model_config, tokenizer, on_evaluate
        schedule = WarmupCosineLR(config.lr, min(config.warmup, config.iters), max(config.iters, 1), config.min_lr)
        self.optimizer = AdamW(model, lr=schedule, betas=config.betas, weight_decay=config.weight_decay)
        self.rng = np.random.default_rng(config.seed)
        self.step = 0
        self.saved_step = None     # the step of the last checkpoint written by this trainer
        self.history = []          # one dict per logged event: {"step", "split", "loss", ...}

    # ------------------------------------------------------------ paths
    @property
    def checkpoint_path(self):
        return None if self.cfg.out_dir is None else Path(self.cfg.out_dir) / "checkpoint.safetensors"

    @property
    def log_path(self):
        return None if self.cfg.out_dir is None else Path(self.cfg.out_dir) / "log.jsonl"

    def log(self, record):
        """Append a record to the history and to out_dir/log.jsonl."""
        self.history.append(record)
        if self.log_path is not None:
            with open(self.log_path, "a") as f:
                f.write(json.dumps(record) + "\n")

    # ------------------------------------------------------------ steps
    def train_step(self):
        """One optimizer step (with gradient accumulation) -> (loss, metrics)."""
        self.model.train()
        self.optimizer.zero_grad()
        losses, metrics = [], {}
        for _ in range(self.cfg.grad_accum):
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):    # overflow ends as Diverged below
                loss, m = self.step_fn(self.model, self.get_batch("train", self.rng), True)
            losses.append(loss)
            for k, v in m.items():
                metrics[k] = metrics.get(k, 0.0) + v / self.cfg.grad_accum
        if self.cfg.grad_accum > 1:
            for p in self.model.parameters():
                p.grad /= self.cfg.grad_accum
        loss = float(np.mean(losses))
        if not np.isfinite(loss):
            raise Diverged(self.step, "loss", loss)
        metrics["grad_norm"] = clip_grad_norm(self.model.parameters(), self.cfg.grad_clip)
        if not np.isfinite(metrics["grad_norm"]):         # a finite loss can still have an overflowing gradient
            raise Diverged(self.step, "gradient norm", metrics["grad_norm"])
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
        self.saved_step = self.step

    def resume(self):
        """Restore everything from out_dir's checkpoint, so that training continues exactly.

        The whole checkpoint (weights, optimizer state, generator states, history) is
        checked before the model, the optimizer or this trainer change."""
        if self.checkpoint_path is None or not self.checkpoint_path.exists():
            raise FileNotFoundError(f"nothing to resume: no checkpoint at {self.checkpoint_path}")
        ckpt = load_checkpoint(self.checkpoint_path)
        history = ckpt.extra.get("history") if isinstance(ckpt.extra, dict) else None
        if not isinstance(history, list):
            raise ValueError(f"checkpoint '{ckpt.path}' holds no training history (extra['history']): "
                             "it was not written by a Trainer, so it cannot be resumed")
        check_generator_state(self.rng, ckpt.rng_state, f"checkpoint '{ckpt.path}': the data generator's rng_state")
        restore_checkpoint(ckpt, self.model, self.optimizer)
        self.step, self.saved_step = ckpt.step, ckpt.step
        self.rng.bit_generator.state = ckpt.rng_state
        self.history = list(history)
        atomic_write_text(self.log_path, "".join(json.dumps(r) + "\n" for r in self.history))   # log = checkpoint

    def checkpoint_due(self, evaluated):
        """Whether this step gets a checkpoint: at evaluations, or every checkpoint_interval steps."""
        every = self.cfg.checkpoint_interval
        due = evaluated if every is None else every > 0 and self.step % every == 0
        return due and self.cfg.out_dir is not None

    # ------------------------------------------------------------ the loop
    def run(self, resume=False, until=None):
        """Train until cfg.iters steps (or only until step `until` of the same schedule); returns the history.

        `until` stops early at that step, with a checkpoint (with out_dir) but no extra evaluation; calling
        run(until=...) again on the same trainer continues, so a run can be looked at between stages and still
        compute exactly the numbers of an uninterrupted one. SIGINT (Ctrl-C) or SIGTERM ends the run after the
        step in progress: the checkpoint of that step is written (with out_dir) and Interrupted is raised;
        a second signal stops at once.
        """
        tune_cpu()                        # the process-wide settings that make training fast (tuning.py)
        cfg = self.cfg
        last = cfg.iters if until is None else until
        if not 0 <= last <= cfg.iters:
            raise ValueError(f"until must be a step from 0 to iters={cfg.iters}, got {until}")
        if cfg.out_dir is not None:
            make_directory(cfg.out_dir, "out_dir")
            if resume:
                self.resume()
            elif self.step == 0:
                atomic_write_text(self.log_path, "")
        bar = tqdm(total=last, initial=self.step, disable=not cfg.progress, dynamic_ncols=True, desc="train")
        with stop_requests() as stop:
            try:
                self.train_until_done_or_stopped(bar, stop, last)
            finally:
                bar.close()
            if stop and self.step < last:            # a stop asked after the last step lets the run end
                self.save_if_needed()
                raise Interrupted(stop[0], self.step, self.checkpoint_path)
        self.save_if_needed()
        return self.history

    def train_until_done_or_stopped(self, bar, stop, last):
        """The steps: train, log, evaluate and checkpoint on their rhythms, until step `last` or a stop request."""
        cfg = self.cfg
        t_last, tokens = time.perf_counter(), 0.0
        while self.step < last and not stop:
            loss, metrics = self.train_step()
            tokens += metrics.get("tokens", 0.0) * cfg.grad_accum
            now = time.perf_counter()
            self.log({"step": self.step, "split": "train", "loss": loss,
                      **{k: float(v) for k, v in metrics.items()}})
            bar.update(1)
            if now - t_last > 0.5:
                bar.set_postfix(loss=f"{loss:.4f}", tok_s=f"{tokens / (now - t_last):,.0f}")
                t_last, tokens = now, 0.0
            evaluated = bool(cfg.eval_interval) and (self.step % cfg.eval_interval == 0 or self.step == cfg.iters)
            if evaluated:
                self.log_evaluation(bar)
            if self.checkpoint_due(evaluated):
                self.save()

    def save_if_needed(self):
        """Save the current step unless it is saved already (or there is no out_dir)."""
        if self.cfg.out_dir is not None and self.saved_step != self.step:
            self.save()

    def log_evaluation(self, bar):
        """Evaluate, log the result and write it above the progress bar."""
        result = self.evaluate()
        parts = []
        for split, metrics in result.items():
            self.log({"step": self.step, "split": split + "_eval", **metrics})
            parts.append(f"{split} loss {metrics['loss']:.4f}")
        if self.cfg.progress:
            bar.write(f"step {self.step}: " + ", ".join(parts))
        if self.on_evaluate is not None:
            self.on_evaluate(self)

    def final_loss(self, split="val"):
        """The last evaluated loss of a split (None if never evaluated)."""
        for r in reversed(self.history):
            if r["split"] == split + "_eval":
                return r["loss"]
        return None
