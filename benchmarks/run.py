"""How fast minitrans trains on this machine, and against PyTorch on the same CPU when torch is installed.

    python benchmarks/run.py                 # everything (about two minutes on 2 cores)
    python benchmarks/run.py --skip cold     # leave out a part: machine, gpt, bert, t5, memory, kernels, cold

It prints, for this machine:
- the cores, NumPy's BLAS and its thread count, Numba's threading layer;
- the float32 matrix-multiply peak of NumPy's BLAS (GFLOP/s): our practical limit;
- a training step (forward, backward, clipping, AdamW) of the GPT 'baby' preset (4 layers, 4 heads,
  128 wide, block 64, batch 12, vocabulary 65) and of a BERT (4 layers, 4 heads, 128 wide,
  feed-forward 512, sequence 128, batch 16, vocabulary 8000, MLM head over the masked 15% only) and of
  a T5 (the 'mini' preset: 4+4 layers, 4 heads, 128 wide, feed-forward 512, vocabulary 1101, a
  span-corruption batch of 32 with inputs of 64 and targets of 20 tokens):
  ms per step, tokens per second, model FLOPs per step and the fraction of the peak (MFU), split
  into forward, backward and optimizer; with torch, the same model in PyTorch eager and the ratio
  (PyTorch ms / minitrans ms: above 1 means minitrans is faster);
- peak resident memory of 30 training steps of the baby GPT, each in a fresh process;
- attention forward+backward, Numba vs the NumPy reference (and vs torch's scaled_dot_product_attention);
- cold start: `import minitrans` plus the first training step, with an empty Numba cache and a warm one.

Every figure is the best of several runs (timings on a shared machine only get worse, never better),
with the median beside it. Ratios are measured in one run, in one process, with the same threads.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import minitrans  # noqa: E402

minitrans.tune_cpu()                 # the process-wide settings training runs with (minitrans/tuning.py)
from bench_kernels import B, D, H, best_and_median  # noqa: E402
from minitrans.kernels.threads import _openblas, threading_layer  # noqa: E402
from minitrans.models import GPT, T5, BertConfig, BertModel, GPTConfig, T5Config  # noqa: E402
from minitrans.models.bert_heads import BertForPreTraining, classification_terms  # noqa: E402
from minitrans.optim import AdamW, clip_grad_norm  # noqa: E402

torch = None                         # imported by load_torch(), never by the cold-start child


def load_torch():
    """Import torch if it is installed (it is never a dependency: without it, its columns are left out)."""
    global torch
    try:
        import torch as torch_module
    except ImportError:
        return
    torch = torch_module
    torch.set_num_threads(os.cpu_count())

GPT_SHAPE = dict(batch=12)
BERT_SHAPE = dict(vocab_size=8000, n_layer=4, n_head=4, d_model=128, d_ff=512, max_position=128, batch=16, T=128)
T5_SHAPE = dict(vocab_size=1101, batch=32, S=64, T=20)      # the toy world's vocabulary, span-corruption lengths


# ------------------------------------------------------------------ the machine
def machine():
    import numba
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    blas_threads = _openblas.get_num_threads() if _openblas else "?"
    print(f"machine: {os.cpu_count()} cores; numpy {np.__version__} with {blas['name']} {blas.get('version', '')}"
          f" ({blas_threads} BLAS threads); numba {numba.__version__}, {numba.get_num_threads()} threads,"
          f" layer {threading_layer()}" + (f"; torch {torch.__version__}, {torch.get_num_threads()} threads"
                                          if torch else "; torch not installed"))


def blas_peak(n=1024, repeat=20):
    """GFLOP/s of the best float32 (n, n) x (n, n) product."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    out = np.empty((n, n), np.float32)
    best, _ = best_and_median(lambda: np.matmul(a, b, out=out), repeat)
    return 2 * n ** 3 / (best * 1e-3) / 1e9


# ------------------------------------------------------------------ FLOPs of a training step
def transformer_flops(tokens, sequences, T, n_layer, d_model, d_ff, head_rows, vocab):
    """Model FLOPs of one training step (forward + backward = 3x forward), counting the matrix products:
    per layer q, k, v and output projections (4 d^2), the two feed-forward products (2 d d_ff), the
    attention products (2 T^2 d per sequence, both directions of the causal mask counted), and the
    output head on `head_rows` rows."""
    per_token = n_layer * (4 * d_model * d_model + 2 * d_model * d_ff)
    forward = 2 * tokens * per_token + n_layer * sequences * 4 * T * T * d_model + 2 * head_rows * d_model * vocab
    return 3 * forward


# ------------------------------------------------------------------ minitrans steps
def lm_phases(model, optimizer, loss):
    """The three timed phases of a step whose loss() returns (loss, dlogits, cache), as GPT's and T5's do."""
    state = {}

    def forward():
        model.zero_grad()
        _, state["dlogits"], state["cache"] = loss()

    def backward():
        model.backward(state["dlogits"], state["cache"])

    def update():
        clip_grad_norm(model.parameters(), 1.0)
        optimizer.step()
    return forward, backward, update


def gpt_case():
    """The baby GPT's step as a dict: name, tokens and FLOPs per step, the three timed phases, the batch."""
    cfg = GPTConfig.preset("baby")
    model = GPT(cfg)
    optimizer = AdamW(model, lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1)
    rng = np.random.default_rng(0)
    B, T = GPT_SHAPE["batch"], cfg.block_size
    x, y = rng.integers(0, cfg.vocab_size, (B, T)), rng.integers(0, cfg.vocab_size, (B, T))
    phases = lm_phases(model, optimizer, lambda: model.loss(x, y))

    flops = transformer_flops(B * T, B, T, cfg.n_layer, cfg.n_embd, 4 * cfg.n_embd, B * T, cfg.vocab_size)
    return dict(name="GPT baby", tokens=B * T, flops=flops, phases=phases, batch=(x, y))


def bert_batch(rng):
    s = BERT_SHAPE
    B, T = s["batch"], s["T"]
    ids = rng.integers(5, s["vocab_size"], (B, T))
    segments = (np.arange(T) >= T // 2).astype(np.int64)[None].repeat(B, 0)
    labels = np.full((B, T), -100)
    picked = rng.random((B, T)) < 0.15
    labels[picked] = ids[picked]
    return ids, segments, np.ones((B, T), bool), labels


def bert_case():
    s = BERT_SHAPE
    cfg = BertConfig.preset("mini", vocab_size=s["vocab_size"], max_position=s["max_position"], dropout=0.0)
    model = BertForPreTraining(BertModel(cfg), nsp=False)
    optimizer = AdamW(model, lr=1e-4, weight_decay=0.01)
    ids, segments, mask, labels = bert_batch(np.random.default_rng(0))
    masked = labels != -100
    state = {}

    def forward():
        model.zero_grad()
        state["out"] = model.forward(ids, segments, mask, masked)
        _, state["dlogits"], _ = classification_terms(state["out"][0], labels[masked])   # as model.loss does

    def backward():
        model.backward((state["dlogits"], None), state["out"][2])

    def update():
        clip_grad_norm(model.parameters(), 1.0)
        optimizer.step()

    B, T = s["batch"], s["T"]
    flops = transformer_flops(B * T, B, T, s["n_layer"], s["d_model"], s["d_ff"], int(masked.sum()), s["vocab_size"])
    flops += 3 * 2 * int(masked.sum()) * s["d_model"] ** 2          # the MLM head's dense layer
    return dict(name="BERT 4x128", tokens=B * T, flops=flops, phases=(forward, backward, update),
                batch=(ids, segments, mask, labels))


def t5_case():
    """The T5 'mini' preset's step on a span-corruption-shaped batch."""
    s = T5_SHAPE
    cfg = T5Config.preset("mini", vocab_size=s["vocab_size"])
    model = T5(cfg)
    optimizer = AdamW(model, lr=1e-3, weight_decay=0.01)
    rng = np.random.default_rng(0)
    B, S, T = s["batch"], s["S"], s["T"]
    x, y = rng.integers(2, s["vocab_size"], (B, S)), rng.integers(2, s["vocab_size"], (B, T))
    phases = lm_phases(model, optimizer, lambda: model.loss(x, y))

    L, C, F = cfg.n_encoder_layer, cfg.d_model, cfg.d_ff
    flops = (transformer_flops(B * S, B, S, L, C, F, 0, 0)                      # encoder
             + transformer_flops(B * T, B, T, L, C, F, B * T, s["vocab_size"])  # decoder self-attention, FFN, head
             + 3 * L * (2 * B * T * 2 * C * C + 2 * B * S * 2 * C * C + 2 * B * 2 * T * S * C))  # cross-attention
    decoder_inputs = np.concatenate([np.zeros((B, 1), np.int64), y[:, :-1]], axis=1)
    return dict(name="T5 mini", tokens=B * (S + T), flops=flops, phases=phases,
                batch=(x, decoder_inputs, y))


def time_case(case, repeat, other=None, rounds=3):
    """(best, median) ms of the whole step, the best ms of each phase timed within whole steps, and,
    when `other` (a PyTorch step) is given, its (best, median) ms. The two are timed in alternating
    blocks (`rounds` blocks each), so that a busy spell of the machine is likely to meet both. Not
    step by step: each library's idle threads keep spinning for a while after its step and would
    slow the other's next step (both ran 1.3-2x slower that way)."""
    split, theirs = [], []
    for _ in range(rounds):
        for i in range(2 + repeat // rounds):
            marks = [time.perf_counter()]
            for phase in case["phases"]:
                phase()
                marks.append(time.perf_counter())
            if i >= 2:                                  # two warm-up steps per block
                split.append(np.diff(marks) * 1e3)
        if other is not None:
            for i in range(2 + repeat // rounds):
                start = time.perf_counter()
                other()
                if i >= 2:
                    theirs.append(1e3 * (time.perf_counter() - start))
    whole = np.sum(split, axis=1)
    other_times = (min(theirs), float(np.median(theirs))) if theirs else None
    return (whole.min(), float(np.median(whole))), np.min(split, axis=0), other_times


# ------------------------------------------------------------------ PyTorch steps
def torch_step(case):
    """A function running one PyTorch training step of the same model on the case's batch, or None without torch."""
    if torch is None:
        return None
    from torch_reference import TorchBabyGPT, TorchBert, TorchT5, baby_gpt_optimizer, train_step_fn
    if case["name"] == "T5 mini":
        model = TorchT5(T5_SHAPE["vocab_size"], 4, 4, 128, 512)
        step = train_step_fn(model, lr=1e-3)
    elif case["name"] == "GPT baby":
        model = TorchBabyGPT()
        step = train_step_fn(model, optimizer=baby_gpt_optimizer(model))
    else:
        s = BERT_SHAPE
        model = TorchBert(s["vocab_size"], s["max_position"], s["n_layer"], s["n_head"], s["d_model"], s["d_ff"])
        step = train_step_fn(model, lr=1e-4)
    batch = tuple(torch.tensor(a) for a in case["batch"])
    return lambda: step(*batch)


def steps(names, repeat, peak):
    cases = {"gpt": gpt_case, "bert": bert_case, "t5": t5_case}
    for key in names:
        case = cases[key]()
        step = torch_step(case)
        (best, median), split, theirs = time_case(case, repeat, step)
        mfu = case["flops"] / (best * 1e-3) / 1e9 / peak
        print(f"\n{case['name']} training step: {best:.1f} ms best / {median:.1f} median, "
              f"{case['tokens'] / best * 1e3:,.0f} tokens/s, {case['flops'] / 1e9:.2f} GFLOP per step, "
              f"MFU {100 * mfu:.0f}% of the measured peak")
        print(f"  split (best of each): forward {split[0]:.1f} ms, backward {split[1]:.1f} ms, "
              f"clip+AdamW {split[2]:.1f} ms")
        if theirs is not None:
            tbest, tmedian = theirs
            print(f"  PyTorch eager (blocks alternating with minitrans's): {tbest:.1f} ms best / {tmedian:.1f} median, "
                  f"{case['tokens'] / tbest * 1e3:,.0f} tokens/s; ratio PyTorch/minitrans {tbest / best:.2f} best, "
                  f"{tmedian / median:.2f} median")


# ------------------------------------------------------------------ memory and cold start (child processes)
def rss_worker():
    """(In a child process.) 30 training steps of the baby GPT; prints the peak resident memory in MiB."""
    forward, backward, update = gpt_case()["phases"]
    for _ in range(30):
        forward(), backward(), update()
    print(peak_rss_mib())


def peak_rss_mib():
    """This process's peak resident memory (VmHWM; getrusage's ru_maxrss would carry the parent's over exec)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


# The same in PyTorch, in a child that never imports minitrans (whose malloc settings would count).
TORCH_RSS_WORKER = f"""
import sys
import numpy as np
import torch
sys.path.insert(0, {str(HERE)!r})
from torch_reference import TorchBabyGPT, baby_gpt_optimizer, train_step_fn
torch.set_num_threads({os.cpu_count()})
rng = np.random.default_rng(0)
x, y = (torch.tensor(rng.integers(0, 65, (12, 64))) for _ in range(2))
model = TorchBabyGPT()
step = train_step_fn(model, optimizer=baby_gpt_optimizer(model))
for _ in range(30):
    step(x, y)
with open("/proc/self/status") as f:
    print(next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024)
"""


def cold_worker():
    """(In a child process, which has imported minitrans already.) The first baby-GPT step, then a second
    one; prints the seconds of the second (the parent subtracts it from the whole process's time)."""
    forward, backward, update = gpt_case()["phases"]
    forward(), backward(), update()
    start = time.perf_counter()
    forward(), backward(), update()
    print(time.perf_counter() - start)


def child(*args, env=None):
    """Run this file in a fresh Python with `args` (or `-c CODE`); -> (the numbers it printed, its wall seconds)."""
    start = time.perf_counter()
    command = [sys.executable, *args] if args[0] == "-c" else [sys.executable, __file__, *args]
    done = subprocess.run(command, capture_output=True, text=True, check=True, env={**os.environ, **(env or {})})
    return [float(x) for x in done.stdout.split()], time.perf_counter() - start


def memory():
    print("\nPeak resident memory, 30 baby-GPT training steps in a fresh process:")
    mine = child("--rss-worker")[0][0]
    line = f"  minitrans {mine:.0f} MiB"
    if torch is not None:
        theirs = child("-c", TORCH_RSS_WORKER)[0][0]
        line += f", PyTorch {theirs:.0f} MiB (ratio minitrans/PyTorch {mine / theirs:.2f})"
    print(line)


def cold_start():
    print("\nCold start (a fresh Python: start, `import minitrans`, the first baby-GPT training step):")
    with tempfile.TemporaryDirectory() as cache:
        env = {"NUMBA_CACHE_DIR": cache}
        (second,), wall = child("--cold-worker", env=env)
        empty = wall - second
        (second,), wall = child("--cold-worker", env=env)
        warm = wall - second
    print(f"  empty Numba cache: {empty:.1f} s; warm cache: {warm:.2f} s (the step after that: {1e3 * second:.0f} ms)")


# ------------------------------------------------------------------ kernels
def in_alternating_blocks(runs, repeat, rounds=3):
    """The best ms of each function in `runs` ({name: fn}), timed in `rounds` alternating blocks
    (as the training steps are), so that a busy spell of the machine meets all of them."""
    best = {}
    for _ in range(rounds):
        for name, fn in runs.items():
            best[name] = min(best.get(name, np.inf), best_and_median(fn, max(1, repeat // rounds), warmup=2)[0])
    return best


def kernel_table(repeat):
    from minitrans import ops
    print(f"\nAttention forward+backward, float32, B*H={B * H}, D={D} (ms, best; speed-ups as ratios):")
    rng = np.random.default_rng(0)
    for T in (64, 256):
        for causal in (False, True):
            q, k, v, dout = (rng.standard_normal((B, H, T, D)).astype(np.float32) for _ in range(4))

            def run(backend):
                def go():
                    minitrans.set_backend(backend)
                    out, cache = ops.attention_forward(q, k, v, causal=causal)
                    return ops.attention_backward(dout, cache)
                return go
            runs = {"numpy": run("numpy"), "numba": run("numba")}
            if torch is not None:
                from torch_reference import attention_fwd_bwd
                tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
                runs["torch"] = lambda: attention_fwd_bwd(tq, tk, tv, causal)
            best = in_alternating_blocks(runs, repeat)
            line = f"  T={T:<4} causal={str(causal):<5} numpy {best['numpy']:6.2f}  numba {best['numba']:6.2f}  " \
                   f"numba vs numpy {best['numpy'] / best['numba']:.2f}x"
            if torch is not None:
                line += f"  torch sdpa {best['torch']:6.2f}  numba vs torch {best['torch'] / best['numba']:.2f}x"
            print(line)
    minitrans.set_backend("numba")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per figure (default 20)")
    parser.add_argument("--skip", nargs="*", default=[], help="parts to leave out")
    parser.add_argument("--rss-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cold-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_worker:
        return rss_worker()
    if args.cold_worker:
        return cold_worker()
    load_torch()
    if "machine" not in args.skip:
        machine()
    peak = blas_peak()
    print(f"float32 matmul peak of NumPy's BLAS (1024^3): {peak:.0f} GFLOP/s")
    steps([n for n in ("gpt", "bert", "t5") if n not in args.skip], args.repeat, peak)
    if "memory" not in args.skip:
        memory()
    if "kernels" not in args.skip:
        kernel_table(args.repeat)
    if "cold" not in args.skip:
        cold_start()


if __name__ == "__main__":
    main()
