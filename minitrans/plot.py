"""Plots written as PNG with matplotlib (no display needed): loss curves, attention maps, learning curves."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def save(fig, path):
    """Save a figure as PNG and close it."""
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


def plot_history(history, path, metric="loss", title="training"):
    """Training `metric` per step (smoothed) and the periodic evaluations, from a Trainer history."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    train = [(r["step"], r[metric]) for r in history if r["split"] == "train" and metric in r]
    if train:
        steps, values = map(np.asarray, zip(*train))
        ax.plot(steps, values, alpha=0.3, color="C0")
        k = max(1, len(values) // 50)
        if k > 1:
            smooth = np.convolve(values, np.ones(k) / k, mode="valid")
            ax.plot(steps[k - 1:], smooth, color="C0", label=f"train ({metric}, smoothed)")
    for i, split in enumerate(sorted({r["split"] for r in history if r["split"].endswith("_eval")})):
        pts = [(r["step"], r[metric]) for r in history if r["split"] == split and metric in r]
        if pts:
            ax.plot(*zip(*pts), "o-", color=f"C{i + 1}", label=split.replace("_eval", " (eval)"))
    ax.set_xlabel("step")
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.legend()
    return save(fig, path)


def plot_attention(probs, tokens, path, title="attention"):
    """One (T, T) attention map per head, labelled with the tokens. probs: (H, T, T)."""
    probs = np.asarray(probs)
    H = probs.shape[0]
    cols = min(H, 4)
    rows = (H + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
    for h in range(rows * cols):
        ax = axes[h // cols][h % cols]
        if h >= H:
            ax.axis("off")
            continue
        ax.imshow(probs[h], cmap="viridis", vmin=0, vmax=1)
        ax.set_title(f"head {h}")
        ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=6)
        ax.set_yticks(range(len(tokens)), tokens, fontsize=6)
    fig.suptitle(title)
    return save(fig, path)


def plot_curves(curves, path, xlabel="labelled examples", ylabel="accuracy", title="", logx=True, errors=None):
    """Several named curves, e.g. learning curves: curves = {name: (xs, ys)}; errors, if given,
    {name: one error per point} drawn as error bars (e.g. the std over seeds)."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for name, (xs, ys) in curves.items():
        ax.errorbar(xs, ys, yerr=None if errors is None else errors[name], fmt="o-", capsize=3, label=name)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return save(fig, path)


def plot_bars(series, path, ylabel="accuracy", title="", errors=None):
    """Grouped bars: one group per category, one bar per series. series = {name: {category: value}};
    errors, if given, the same shape (drawn as error bars, e.g. the std over seeds)."""
    names = list(series)
    categories = list(next(iter(series.values())))
    width = 0.8 / len(names)
    x = np.arange(len(categories))
    fig, ax = plt.subplots(figsize=(max(6.4, 1.1 * len(categories) * max(1, len(names) / 3)), 4))
    for i, name in enumerate(names):
        values = [series[name][c] for c in categories]
        err = None if errors is None else [errors[name][c] for c in categories]
        ax.bar(x + (i - (len(names) - 1) / 2) * width, values, width, yerr=err, capsize=2, label=name)
    ax.set_xticks(x, categories)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return save(fig, path)
