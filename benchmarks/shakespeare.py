"""The character-level baby-GPT recipe on Shakespeare, in PyTorch and in minitrans, side by side.

    python benchmarks/shakespeare.py                          # both, seed 1337, 200 extra val batches
    python benchmarks/shakespeare.py --which torch --seed 1   # only the PyTorch run
    python benchmarks/shakespeare.py --which minitrans --eval-batches 0
    python benchmarks/shakespeare.py --check                  # same weights: loss, grads, one AdamW step

The recipe: tinyshakespeare (1.1 MB), a 65-character vocabulary, first 90% train, last 10% val;
GPT with 4 layers, 4 heads, 128 wide, block 64, no dropout, no biases (Linear and LayerNorm),
exact GELU, pre-norm, tied head, learned positions; AdamW lr 1e-3, betas (0.9, 0.99), eps 1e-8,
weight decay 0.1 on 2-D parameters, clip 1.0, 100 warmup steps lr*(it+1)/(warmup+1), cosine to
1e-4 at step 2000; batch 12 random windows; 2000 steps; val loss = mean over 20 random val batches.

Each run prints its own 20-batch val loss (as the recipe measures it: its own random batches) and,
with --eval-batches N > 0, the mean loss over N val batches that are the same for both
implementations (drawn from a fixed generator), a far less noisy figure. Runs one training at a
time. torch is needed only for the PyTorch side and --check; minitrans never imports it.
"""
import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CORPUS = str(Path(__file__).resolve().parents[2] / "shared" / "data" / "tinyshakespeare.txt")   # beside the repository
RECIPE = dict(n_layer=4, n_head=4, n_embd=128, block_size=64, batch_size=12, iters=2000, lr=1e-3, min_lr=1e-4,
              warmup=100, betas=(0.9, 0.99), weight_decay=0.1, grad_clip=1.0, eval_iters=20)


def load_streams(path):
    """(train ids, val ids, vocab_size): characters -> sorted-alphabet ids, a 90/10 split."""
    text = Path(path).read_text(encoding="utf-8")
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = np.array([index[c] for c in text], dtype=np.int64)
    n = int(len(ids) * 0.9)
    return ids[:n], ids[n:], len(chars)


def common_val_batches(val, n, seed=2024):
    """n val batches (x, y) from a fixed generator, the same for both implementations."""
    from minitrans.data.objectives import random_windows
    rng = np.random.default_rng([seed, 7])
    return [random_windows(val, RECIPE["block_size"], RECIPE["batch_size"], rng) for _ in range(n)]


# ---------------------------------------------------------------- PyTorch
def recipe_lr(it):
    """The recipe's learning rate at step `it` (0-based)."""
    r = RECIPE
    if it < r["warmup"]:
        return r["lr"] * (it + 1) / (r["warmup"] + 1)
    if it > r["iters"]:
        return r["min_lr"]
    ratio = (it - r["warmup"]) / (r["iters"] - r["warmup"])
    return r["min_lr"] + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (r["lr"] - r["min_lr"])


def run_torch(seed, train, val, vocab_size, extra_batches, ln_bias=False):
    """Train the PyTorch baby GPT -> (20-batch val loss, N-batch val loss or None, seconds).

    ln_bias=True gives its LayerNorms a learned bias (as minitrans's LayerNorm always has)."""
    import torch
    from torch_reference import TorchBabyGPT, baby_gpt_optimizer
    torch.manual_seed(seed)
    r = RECIPE
    model = TorchBabyGPT(vocab_size, r["block_size"], r["n_layer"], r["n_head"], r["n_embd"], ln_bias=ln_bias)
    opt = baby_gpt_optimizer(model, r["lr"], r["betas"], r["weight_decay"])
    data = {"train": torch.from_numpy(train), "val": torch.from_numpy(val)}

    def get_batch(split):
        d = data[split]
        ix = torch.randint(len(d) - r["block_size"], (r["batch_size"],))
        x = torch.stack([d[i:i + r["block_size"]] for i in ix])
        y = torch.stack([d[i + 1:i + 1 + r["block_size"]] for i in ix])
        return x, y

    t0 = time.perf_counter()
    model.train()
    for it in range(r["iters"]):
        for group in opt.param_groups:
            group["lr"] = recipe_lr(it)
        x, y = get_batch("train")
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), r["grad_clip"])
        opt.step()
    seconds = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        val20 = float(np.mean([model(*get_batch("val")).item() for _ in range(r["eval_iters"])]))
        valn = None
        if extra_batches:
            valn = float(np.mean([model(torch.from_numpy(x), torch.from_numpy(y)).item() for x, y in extra_batches]))
    return val20, valn, seconds


# ---------------------------------------------------------------- minitrans
def run_minitrans(seed, corpus, vocab_size, extra_batches):
    """Train with minitrans's recipe (as `minitrans pretrain gpt --preset baby`) -> same triple.

    `seed` seeds both the model's initial weights and the data stream."""
    from minitrans.recipes.gpt import pretrain_gpt
    from minitrans.train import TrainConfig
    r = RECIPE
    cfg = TrainConfig(iters=r["iters"], eval_interval=r["iters"], seed=seed, progress=False)
    model, tok, trainer = pretrain_gpt(corpus=corpus, tokenizer="char", preset="baby",
                                       batch_size=r["batch_size"], train_config=cfg, seed=seed)
    if tok.vocab_size != vocab_size:
        raise ValueError(f"minitrans's char tokenizer has {tok.vocab_size} ids, expected {vocab_size}")
    valn = None
    if extra_batches:
        model.eval()
        valn = float(np.mean([model.loss(x, y)[0] for x, y in extra_batches]))
    return trainer.final_loss("val"), valn, trainer.wall_time


# ---------------------------------------------------------------- same weights
def torch_view_of(mt, which):
    """minitrans's arrays (.data or .grad) laid out as a TorchBabyGPT's parameters, by torch name.
    minitrans's Linear weights are (in, out), torch's (out, in); LayerNorm shifts only when mt has them."""
    g = lambda p: getattr(p, which)  # noqa: E731

    def norm(name, layer):
        arrays = {f"{name}.weight": g(layer.weight)}
        if layer.bias is not None:
            arrays[f"{name}.bias"] = g(layer.bias)
        return arrays

    out = {"wte.weight": g(mt.wte.weight), "wpe.weight": g(mt.wpe.weight), **norm("ln_f", mt.ln_f)}
    for i, mb in enumerate(mt.blocks):
        att, ffn = mb.self_attn, mb.ffn
        out.update({
            **norm(f"blocks.{i}.ln_1", att.norm), **norm(f"blocks.{i}.ln_2", ffn.norm),
            f"blocks.{i}.c_attn.weight": np.concatenate([g(att.sublayer.q.weight), g(att.sublayer.k.weight),
                                                         g(att.sublayer.v.weight)], axis=1).T,
            f"blocks.{i}.attn_proj.weight": g(att.sublayer.out.weight).T,
            f"blocks.{i}.c_fc.weight": g(ffn.sublayer.up.weight).T,
            f"blocks.{i}.mlp_proj.weight": g(ffn.sublayer.down.weight).T})
    return out


def copy_to_torch(mt, tm):
    """Copy a minitrans GPT's weights into a TorchBabyGPT of the same shape (every torch parameter is set)."""
    import torch
    weights = torch_view_of(mt, "data")
    names = {n for n, _ in tm.named_parameters()}
    if names != set(weights):
        raise ValueError(f"the two models differ: torch only {sorted(names - set(weights))}, "
                         f"minitrans only {sorted(set(weights) - names)}")
    with torch.no_grad():
        for n, t in tm.named_parameters():
            t.copy_(torch.from_numpy(np.ascontiguousarray(weights[n])))


def max_rel(a, b):
    """max |a - b| / max |b| (relative to the tensor's scale)."""
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def check(vocab_size, train, dtype="float32"):
    """Same weights in both: loss and every gradient on one batch, then one clip + AdamW step."""
    import torch
    from torch_reference import TorchBabyGPT, baby_gpt_optimizer
    from minitrans.models import GPT, GPTConfig
    from minitrans.optim import AdamW, clip_grad_norm
    torch.set_default_dtype(torch.float64 if dtype == "float64" else torch.float32)
    r = RECIPE
    mt = GPT(GPTConfig.preset("baby", vocab_size=vocab_size, seed=3, dtype=dtype))
    for name, p in mt.named_parameters():       # make LayerNorm gains/biases non-trivial so they are tested
        if p.data.ndim == 1:
            p.data += np.random.default_rng(len(name)).normal(0, 0.1, p.data.shape).astype(p.data.dtype)
    tm = TorchBabyGPT(vocab_size, r["block_size"], r["n_layer"], r["n_head"], r["n_embd"],
                      ln_bias=mt.ln_f.bias is not None)
    copy_to_torch(mt, tm)
    x, y = common_val_batches(train, 1, seed=5)[0]
    mt.zero_grad()
    loss, dlogits, cache = mt.loss(x, y)
    mt.backward(dlogits, cache)
    tloss = tm(torch.from_numpy(x), torch.from_numpy(y))
    tloss.backward()
    print(f"[{dtype}] loss: minitrans {loss:.8f}  torch {tloss.item():.8f}  |diff| {abs(loss - tloss.item()):.2e}")
    grads = torch_view_of(mt, "grad")
    worst = max((max_rel(grads[n], p.grad.numpy()), n) for n, p in tm.named_parameters())
    print(f"[{dtype}] gradients: worst max|diff|/max|grad| = {worst[0]:.2e} ({worst[1]}), "
          f"{len(grads)} of {len(list(tm.parameters()))} tensors compared")
    # one step with a large lr so that the update is visible: clip, AdamW (decay on 2-D only)
    lr = 1e-2
    mnorm = clip_grad_norm(mt.parameters(), r["grad_clip"])
    tnorm = float(torch.nn.utils.clip_grad_norm_(tm.parameters(), r["grad_clip"]))
    clipped = torch_view_of(mt, "grad")
    worst_clip = max(max_rel(clipped[n], p.grad.numpy()) for n, p in tm.named_parameters())
    # the first Adam step is about lr * sign(g): feed both optimizers the same (minitrans's) clipped
    # gradients, so that rounding noise in near-zero gradients does not flip signs
    with torch.no_grad():
        for n, p in tm.named_parameters():
            p.grad.copy_(torch.from_numpy(np.ascontiguousarray(clipped[n])))
    before = {n: p.detach().clone().numpy() for n, p in tm.named_parameters()}
    AdamW(mt, lr=lr, betas=r["betas"], weight_decay=r["weight_decay"]).step()
    baby_gpt_optimizer(tm, lr, r["betas"], r["weight_decay"]).step()
    weights = torch_view_of(mt, "data")
    worst = max((float(np.abs(weights[n] - p.detach().numpy()).max()) / lr, n) for n, p in tm.named_parameters())
    moved = max(float(np.abs(weights[n] - before[n]).max()) / lr for n in before)
    print(f"[{dtype}] grad norm: minitrans {mnorm:.6f} torch {tnorm:.6f}; clipped grads worst rel diff "
          f"{worst_clip:.2e}; one AdamW step: largest update {moved:.3f} lr, worst |diff| {worst[0]:.2e} lr "
          f"({worst[1]})")
    torch.set_default_dtype(torch.float32)


# ---------------------------------------------------------------- main
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--which", choices=["torch", "minitrans", "both"], default="both")
    p.add_argument("--eval-batches", type=int, default=200, help="extra common val batches (0: none)")
    p.add_argument("--corpus", default=CORPUS)
    p.add_argument("--torch-ln-bias", action="store_true", help="torch's LayerNorms get a bias (ablation)")
    p.add_argument("--check", action="store_true", help="only the same-weights check (float32 and float64)")
    args = p.parse_args(argv)
    train, val, vocab_size = load_streams(args.corpus)
    if args.check:
        check(vocab_size, train, "float64")
        check(vocab_size, train, "float32")
        return 0
    extra = common_val_batches(val, args.eval_batches) if args.eval_batches > 0 else None
    runners = {"torch": lambda: run_torch(args.seed, train, val, vocab_size, extra, args.torch_ln_bias),
               "minitrans": lambda: run_minitrans(args.seed, args.corpus, vocab_size, extra)}
    for name in (["torch", "minitrans"] if args.which == "both" else [args.which]):
        val20, valn, seconds = runners[name]()
        more = f"  val loss ({args.eval_batches} common batches): {valn:.4f}" if valn is not None else ""
        print(f"{name:9s} seed {args.seed}: val loss (20 batches): {val20:.4f}{more}  wall time: {seconds:.1f} s",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
