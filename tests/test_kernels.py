"""The Numba kernels agree with the NumPy reference, pass gradient checks, and the backend switch works.

Also run with NUMBA_DISABLE_JIT=1 (the kernels then run as plain Python): shapes stay tiny.
"""
import ast
import copy
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numba
import numpy as np
import pytest

import minitrans
from minitrans import ops
from minitrans.functional import attention as ref_attention
from minitrans.functional import softmax as ref_softmax
from minitrans.gradcheck import assert_gradients_close, check_pair
from minitrans.kernels import attention as nb_attention
from minitrans.kernels import softmax as nb_softmax
from minitrans.kernels import threads
from minitrans.kernels.softmax import exp_nonpositive

REPO = Path(__file__).resolve().parents[1]
DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


@pytest.fixture
def backend():
    """Lets a test switch backends; the previous backend is restored afterwards."""
    before = ops.get_backend()
    yield ops.set_backend
    ops.set_backend(before)


def close(a, b, dtype):
    np.testing.assert_allclose(a, b, **TOL[dtype])


def random_inputs(rng, dtype, B=2, H=2, Tq=3, Tk=4, D=3, Dv=2):
    q = rng.standard_normal((B, H, Tq, D)).astype(dtype)
    k = rng.standard_normal((B, H, Tk, D)).astype(dtype)
    v = rng.standard_normal((B, H, Tk, Dv)).astype(dtype)
    return q, k, v


# ---------------------------------------------------------------- the fast exp


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_nonpositive_is_accurate(dtype):
    x = np.concatenate([-np.geomspace(1e-8, 86.0, 300), -np.linspace(0, 5, 101)]).astype(dtype)
    got = np.array([exp_nonpositive(v) for v in x])
    want = np.exp(x.astype(np.float64))
    ulp = np.finfo(dtype).eps
    assert np.max(np.abs(got - want) / want) < 2 * ulp
    assert exp_nonpositive(dtype(-np.inf)) == 0.0
    assert exp_nonpositive(dtype(0.0)) == 1.0


# ---------------------------------------------------------------- softmax


SOFTMAX_SHAPES = [(7,), (3, 5), (2, 3, 4), (2, 1, 3, 6), (2, 2, 1, 3, 5)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SOFTMAX_SHAPES)
@pytest.mark.parametrize("mask_kind", ["none", "full", "broadcast"])
def test_softmax_backends_agree(dtype, shape, mask_kind, kernel_path):
    rng = np.random.default_rng(len(shape))
    x = (3 * rng.standard_normal(shape)).astype(dtype)
    mask = None
    if mask_kind == "full":
        mask = rng.random(shape) > 0.3
        mask.reshape(-1, shape[-1])[0] = False                  # one fully masked row
    elif mask_kind == "broadcast":
        mask = rng.random((1,) * (len(shape) - 1) + shape[-1:]) > 0.3
    p_ref, c_ref = ref_softmax.softmax_forward(x, mask)
    p_nb, c_nb = nb_softmax.softmax_forward(x, mask)
    assert p_nb.dtype == dtype and p_nb.shape == shape
    close(p_nb, p_ref, dtype)
    dout = rng.standard_normal(shape).astype(dtype)
    close(nb_softmax.softmax_backward(dout, c_nb), ref_softmax.softmax_backward(dout, c_ref), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_extreme_logits_and_fully_masked_rows(dtype):
    x = np.array([[1e4, -1e4, 0.0, 1e4], [-1e4, -1e4, -1e4, -1e4], [5.0, 1.0, 2.0, 3.0]], dtype=dtype)
    mask = np.array([[True, True, True, True], [True, True, True, True], [False, False, False, False]])
    p, cache = nb_softmax.softmax_forward(x, mask)
    assert np.all(np.isfinite(p))
    np.testing.assert_array_equal(p[0], [0.5, 0.0, 0.0, 0.5])
    close(p[1], np.full(4, 0.25), dtype)
    np.testing.assert_array_equal(p[2], np.zeros(4))
    dx = nb_softmax.softmax_backward(np.ones_like(x), cache)
    assert np.all(np.isfinite(dx))
    np.testing.assert_array_equal(dx[2], np.zeros(4))


def test_softmax_gradcheck_numba_backend(backend):
    backend("numba")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 5))
    mask = rng.random((2, 3, 5)) > 0.3
    mask[1, 2] = False
    errors = check_pair(ops.softmax_forward, ops.softmax_backward, {"x": x}, {"mask": mask})
    assert_gradients_close(errors)


# ---------------------------------------------------------------- attention


ATTENTION_CASES = {
    "plain": dict(),
    "causal": dict(causal=True, Tq=4, Tk=4),
    "causal_decoding": dict(causal=True, Tq=2, Tk=5),                # Tq < Tk: queries are the last positions
    "causal_more_queries": dict(causal=True, Tq=5, Tk=3),            # first rows see nothing
    "padding_mask": dict(mask=(2, 1, 1, 4)),
    "full_mask": dict(mask=(2, 2, 3, 4)),
    "mask_and_causal": dict(mask=(2, 1, 1, 5), causal=True, Tq=2, Tk=5),
    "bias_per_head": dict(bias=(1, 2, 3, 4)),
    "bias_2d": dict(bias=(3, 4)),
    "bias_full_and_mask": dict(bias=(2, 2, 3, 4), mask=(2, 2, 3, 4)),
    "dropout": dict(dropout_p=0.3),
    "scale_one_dv_differs": dict(scale=1.0, Dv=5),
}


def attention_case(name, dtype, seed=0):
    """(q, k, v), kwargs for one named case; every mask has a fully masked row."""
    spec = dict(ATTENTION_CASES[name])
    rng = np.random.default_rng(seed)
    sizes = {key: spec.pop(key) for key in ("Tq", "Tk", "Dv") if key in spec}
    q, k, v = random_inputs(rng, dtype, **sizes)
    kwargs = {key: spec[key] for key in ("causal", "scale", "dropout_p") if key in spec}
    if "mask" in spec:
        mask = rng.random(spec["mask"]) > 0.3
        mask[(0,) * (mask.ndim - 1)] = False
        kwargs["mask"] = mask
    if "bias" in spec:
        kwargs["bias"] = rng.standard_normal(spec["bias"]).astype(dtype)
    if "dropout_p" in spec:
        kwargs["rng"] = np.random.default_rng(seed + 1)
    return (q, k, v), kwargs


def run_attention(module, inputs, kwargs, dout):
    """Forward and backward; the rng (if any) is copied so that every run draws the same dropout."""
    out, cache = module.attention_forward(*inputs, **copy.deepcopy(kwargs))
    return out, cache, module.attention_backward(dout, cache)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ATTENTION_CASES))
def test_attention_backends_agree(dtype, name, kernel_path):
    inputs, kwargs = attention_case(name, dtype)
    dout_shape = inputs[0].shape[:3] + inputs[2].shape[3:]
    dout = np.random.default_rng(9).standard_normal(dout_shape).astype(dtype)
    out_ref, cache_ref, grads_ref = run_attention(ref_attention, inputs, kwargs, dout)
    out_nb, cache_nb, grads_nb = run_attention(nb_attention, inputs, kwargs, dout)
    assert out_nb.dtype == dtype and out_nb.shape == out_ref.shape
    close(out_nb, out_ref, dtype)
    close(cache_nb["probs"], cache_ref["probs"], dtype)
    if "dropout_p" in kwargs:
        np.testing.assert_array_equal(cache_nb["keep"], cache_ref["keep"])
    for g_nb, g_ref in zip(grads_nb, grads_ref):
        if g_ref is None:
            assert g_nb is None
        else:
            assert g_nb.shape == g_ref.shape and g_nb.dtype == dtype
            close(g_nb, g_ref, dtype)


def test_attention_causal_rows_that_see_nothing_are_zero():
    (q, k, v), kwargs = attention_case("causal_more_queries", np.float64)
    out, cache = nb_attention.attention_forward(q, k, v, **kwargs)
    np.testing.assert_array_equal(cache["probs"][:, :, :2], 0.0)      # query i sees keys j <= i - 2
    np.testing.assert_array_equal(out[:, :, :2], 0.0)
    dq, dk, dv, _ = nb_attention.attention_backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(dq[:, :, :2], 0.0)
    assert np.all(np.isfinite(dk)) and np.all(np.isfinite(dv))


@pytest.mark.parametrize("name", ["plain", "causal_decoding", "mask_and_causal", "bias_per_head",
                                  "bias_full_and_mask", "dropout"])
def test_attention_gradcheck_numba_backend(backend, name, kernel_path):
    backend("numba")
    (q, k, v), kwargs = attention_case(name, np.float64, seed=3)
    inputs = {"q": q, "k": k, "v": v}
    if "bias" in kwargs:
        inputs["bias"] = kwargs.pop("bias")
    errors = check_pair(ops.attention_forward, ops.attention_backward, inputs, kwargs,
                        grad_names=["q", "k", "v", "bias"])
    assert set(errors) == set(inputs)
    assert_gradients_close(errors)


@pytest.mark.parametrize("dtype", DTYPES)
def test_caches_work_across_backends(dtype):
    (q, k, v), kwargs = attention_case("bias_full_and_mask", dtype)
    dout = np.random.default_rng(2).standard_normal(q.shape[:3] + v.shape[3:]).astype(dtype)
    _, cache_nb = nb_attention.attention_forward(q, k, v, **kwargs)
    _, cache_ref = ref_attention.attention_forward(q, k, v, **kwargs)
    for a, b in zip(ref_attention.attention_backward(dout, cache_nb), nb_attention.attention_backward(dout, cache_ref)):
        close(a, b, dtype)


def test_attention_accepts_non_contiguous_inputs():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 3, 4)).astype(np.float32)          # (B, T, H, D), as after a projection
    q = k = v = x.transpose(0, 2, 1, 3)
    out_nb, _ = nb_attention.attention_forward(q, k, v, causal=True)
    out_ref, _ = ref_attention.attention_forward(q, k, v, causal=True)
    close(out_nb, out_ref, np.float32)


def test_other_dtypes_and_mixed_dtypes_run_the_reference():
    rng = np.random.default_rng(5)
    q, k, v = random_inputs(rng, np.float16)
    np.testing.assert_array_equal(nb_attention.attention_forward(q, k, v)[0], ref_attention.attention_forward(q, k, v)[0])
    q, k, v = random_inputs(rng, np.float32)
    bias = rng.standard_normal((3, 4))                                # float64 bias promotes, as in the reference
    out_nb, _ = nb_attention.attention_forward(q, k, v, bias=bias)
    out_ref, _ = ref_attention.attention_forward(q, k, v, bias=bias)
    assert out_nb.dtype == out_ref.dtype == np.float64
    np.testing.assert_array_equal(out_nb, out_ref)
    x = rng.standard_normal((3, 4)).astype(np.float16)
    np.testing.assert_array_equal(nb_softmax.softmax_forward(x)[0], ref_softmax.softmax_forward(x)[0])


@pytest.mark.parametrize("B, H, n", [(4, 3, 2), (5, 2, 2), (1, 3, 2), (1, 1, 2), (3, 4, 1)])
def test_parts_cover_the_batch_and_head_grid_once(B, H, n):
    covered = np.zeros((B, H), int)
    for b, h in threads.parts_of(B, H, n):
        covered[b, h] += 1
    np.testing.assert_array_equal(covered, 1)


@pytest.mark.parametrize("B,H,n", [(4, 3, 2), (1, 12, 2), (3, 5, 4), (2, 2, 8)])
@pytest.mark.parametrize("per_head,block_size", [(16, 1 << 17), (64, 128), (100, 1)])
def test_blocks_cover_each_part_once_and_stay_small(B, H, n, per_head, block_size, monkeypatch):
    monkeypatch.setattr(threads, "BLOCK_SIZE", block_size)
    covered = np.zeros((B, H), int)
    for part in threads.parts_of(B, H, n):
        in_part = np.zeros((B, H), int)
        in_part[part] = 1
        for b, h in threads.blocks_of(*part, B, H, per_head):
            covered[b, h] += 1
            assert np.all(in_part[b, h] == 1)
            assert covered[b, h].size * per_head <= max(per_head, block_size)
    np.testing.assert_array_equal(covered, 1)


@pytest.mark.parametrize("causal", [False, True])
def test_attention_split_along_heads_matches_the_reference(causal, monkeypatch):
    monkeypatch.setattr(threads, "PARTS_MIN_SIZE", 0)
    rng = np.random.default_rng(8)
    q, k, v = random_inputs(rng, np.float64, B=1, H=3, Tq=5, Tk=5)     # B=1: the parts are groups of heads
    bias = rng.standard_normal((3, 5, 5))
    dout = rng.standard_normal((1, 3, 5, 2))
    got = run_attention(nb_attention, (q, k, v), dict(causal=causal, bias=bias), dout)
    want = run_attention(ref_attention, (q, k, v), dict(causal=causal, bias=bias), dout)
    close(got[0], want[0], np.float64)
    for a, b in zip(got[2], want[2]):
        close(a, b, np.float64)


def test_blas_threads_are_restored():
    if threads._openblas is None:
        pytest.skip("NumPy's BLAS here is not OpenBLAS")
    get_threads = threads._openblas.get_num_threads
    before = get_threads()
    with threads.blas_threads(1):
        assert get_threads() == 1
    assert get_threads() == before


BLAS_SPIN_PROBE = """
import os, sys, time, numpy as np
import minitrans
from minitrans.kernels import threads
if sys.argv[1] == "tune":
    minitrans.tune_cpu()
a = np.ones((512, 512), np.float32)
a @ a
start = time.process_time()
time.sleep(0.05)                              # idle: BLAS threads still spinning would burn ~0.05 s of CPU
print(threads._openblas.lib.openblas_thread_timeout(), "OPENBLAS_THREAD_TIMEOUT" in os.environ,
      threads._openblas.get_num_threads(), time.process_time() - start, float((a @ a)[0, 0]))
"""


@pytest.mark.parametrize("env_timeout,tune", [(None, "tune"), ("28", "tune"), (None, "import-only")])
def test_tune_cpu_shortens_blas_spinning_unless_the_user_chose(env_timeout, tune):
    if threads._openblas is None:
        pytest.skip("NumPy's BLAS here is not OpenBLAS")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    if env_timeout is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = env_timeout
    out = subprocess.run([sys.executable, "-c", BLAS_SPIN_PROBE, tune], env=env, capture_output=True, text=True,
                         check=True)
    timeout, var_left, n_threads, cpu_seconds, value = out.stdout.split()
    assert float(value) == 512.0 and int(n_threads) == threads._openblas.get_num_threads()
    if env_timeout is None and tune == "tune":
        assert int(timeout) == threads.BLAS_THREAD_TIMEOUT and var_left == "False"
        assert float(cpu_seconds) < 0.02
    elif env_timeout is None:
        assert int(timeout) != threads.BLAS_THREAD_TIMEOUT and var_left == "False"     # import alone: untouched
    else:
        assert int(timeout) == 28 and var_left == "True"


IMPORT_PROBE = """
import ctypes, json, os, numba, numpy as np
from minitrans.kernels.threads import find_openblas

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
blas = find_openblas()

def state(mib):
    # glibc maps an array this big by itself (and raises its threshold to the size of a freed one,
    # so each call asks for more), unless tune_cpu told it to keep memory in its heap up to 32 MiB
    mapped = libc.mallinfo2().hblks
    big = np.ones(mib << 17)
    return {"env": dict(os.environ), "layer": str(numba.config.THREADING_LAYER),
            "blas_timeout": blas.lib.openblas_thread_timeout() if blas else None,
            "blas_threads": blas.get_num_threads() if blas else None,
            "big_array_mapped": libc.mallinfo2().hblks - mapped}

before = state(16)
import minitrans
from minitrans.models import GPT, GPTConfig
after = state(24)
minitrans.tune_cpu()
tuned = state(28)
print(json.dumps([before, after, tuned]))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads glibc's and OpenBLAS's settings")
def test_importing_minitrans_changes_nothing_outside_it():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MALLOC_", "NUMBA_THREADING", "OPENBLAS_THREAD")) and k != "MINITRANS_KEEP_MEMORY"}
    out = subprocess.run([sys.executable, "-c", IMPORT_PROBE], env=env, capture_output=True, text=True, check=True)
    before, after, tuned = json.loads(out.stdout)
    assert after == before                                       # environment, threads, BLAS, malloc: as they were
    assert before["big_array_mapped"] == 1
    assert tuned["layer"] == "workqueue" and tuned["big_array_mapped"] == 0      # tune_cpu() does change them
    assert tuned["env"] == before["env"]


def test_results_are_bit_for_bit_reproducible(kernel_path):
    (q, k, v), kwargs = attention_case("mask_and_causal", np.float32)
    dout = np.random.default_rng(6).standard_normal(q.shape[:3] + v.shape[3:]).astype(np.float32)
    first = run_attention(nb_attention, (q, k, v), kwargs, dout)
    second = run_attention(nb_attention, (q, k, v), kwargs, dout)
    np.testing.assert_array_equal(first[0], second[0])
    for a, b in zip(first[2][:3], second[2][:3]):
        np.testing.assert_array_equal(a, b)


def test_two_python_threads_can_run_kernels_at_once(monkeypatch):
    monkeypatch.setattr(threads, "PARALLEL_MIN_SIZE", 0)         # the parallel kernels, behind their lock
    monkeypatch.setattr(threads, "PARTS_MIN_SIZE", 0)
    (q, k, v), kwargs = attention_case("causal", np.float32)
    want, _ = nb_attention.attention_forward(q, k, v, **kwargs)
    results = []

    def work():
        for _ in range(20):
            results.append(nb_attention.attention_forward(q, k, v, **kwargs)[0])

    workers = [threading.Thread(target=work) for _ in range(2)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert len(results) == 40
    for got in results:
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------- bad input: the same error on both backends


def bad_inputs():
    rng = np.random.default_rng(7)
    q, k, v = random_inputs(rng, np.float64)
    return {
        "int q": lambda m: m.attention_forward(q.astype(int), k, v),
        "3-D q": lambda m: m.attention_forward(q[0], k, v),
        "k wrong D": lambda m: m.attention_forward(q, k[..., :2], v),
        "v wrong Tk": lambda m: m.attention_forward(q, k, v[:, :, :2]),
        "mixed dtypes": lambda m: m.attention_forward(q, k.astype(np.float32), v),
        "float mask": lambda m: m.attention_forward(q, k, v, mask=np.ones((3, 4))),
        "mask shape": lambda m: m.attention_forward(q, k, v, mask=np.ones((3, 5), bool)),
        "int bias": lambda m: m.attention_forward(q, k, v, bias=np.ones((3, 4), int)),
        "bias shape": lambda m: m.attention_forward(q, k, v, bias=np.ones((2, 3, 3, 4))),
        "list q": lambda m: m.attention_forward(q.tolist(), k, v),
        "dropout without rng": lambda m: m.attention_forward(q, k, v, dropout_p=0.5),
        "softmax list": lambda m: m.softmax_forward([1.0, 2.0]),
        "softmax int": lambda m: m.softmax_forward(np.arange(3)),
        "softmax float mask": lambda m: m.softmax_forward(q, mask=np.ones(4)),
        "softmax mask shape": lambda m: m.softmax_forward(q, mask=np.ones(5, bool)),
    }


@pytest.mark.parametrize("case", list(bad_inputs()))
def test_bad_input_gives_the_same_clear_error_on_both_backends(case):
    call = bad_inputs()[case]
    errors = []
    for module in (ref_attention, ref_softmax), (nb_attention, nb_softmax):
        owner = module[1] if case.startswith("softmax") else module[0]
        with pytest.raises((TypeError, ValueError)) as info:
            call(owner)
        errors.append((info.type, str(info.value)))
    assert errors[0] == errors[1]
    assert any(words in errors[0][1] for words in ("got", "needs", "does not broadcast"))


# ---------------------------------------------------------------- the switch


def test_set_backend_switches_the_dispatch(backend, monkeypatch):
    calls = []
    monkeypatch.setitem(ops.KERNELS, "attention_forward", lambda *a, **kw: calls.append("numba"))
    monkeypatch.setitem(ops.REFERENCES, "attention_forward", lambda *a, **kw: calls.append("numpy"))
    monkeypatch.setitem(ops.KERNELS, "softmax_backward", lambda *a: calls.append("numba"))
    monkeypatch.setitem(ops.REFERENCES, "softmax_backward", lambda *a: calls.append("numpy"))
    backend("numba")
    ops.attention_forward(None, None, None)
    ops.softmax_backward(None, None)
    minitrans.set_backend("numpy")
    assert minitrans.get_backend() == ops.get_backend() == "numpy"
    ops.attention_forward(None, None, None)
    ops.softmax_backward(None, None)
    with minitrans.use_backend("numba"):
        ops.softmax_backward(None, None)
    assert ops.get_backend() == "numpy"
    assert calls == ["numba", "numba", "numpy", "numpy", "numba"]


def test_the_numpy_backend_trains_with_the_reference_only(backend, monkeypatch):
    """With the numpy backend a model runs minitrans.functional and no kernel: a stubbed
    reference layernorm_backward is what GPT's backward calls."""
    from minitrans.models import GPT, GPTConfig
    for name in ops.KERNELS:
        monkeypatch.setitem(ops.KERNELS, name, lambda *a, **kw: pytest.fail("a kernel ran"))
    def stub(dout, cache):
        raise NotImplementedError("write layernorm_backward")
    monkeypatch.setitem(ops.REFERENCES, "layernorm_backward", stub)
    backend("numpy")
    model = GPT(GPTConfig.preset("nano"))
    ids = np.zeros((1, 4), dtype=np.int64)
    loss, dlogits, cache = model.loss(ids, ids)
    with pytest.raises(NotImplementedError, match="write layernorm_backward"):
        model.backward(dlogits, cache)


def module_level_names(path):
    """The names a module defines at its top level (def, class, assignment, import), read from its source."""
    names = set()
    for node in ast.parse(Path(path).read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def test_every_public_name_of_ops_is_written_in_its_source():
    """Go-to-definition on ops.<name> finds a line of minitrans/ops.py: nothing is injected at run time,
    and the operations are exactly minitrans.functional's, each the reference or its dispatcher."""
    from minitrans import functional
    defined = module_level_names(REPO / "minitrans" / "ops.py")
    assert set(ops.__all__) <= defined, sorted(set(ops.__all__) - defined)
    public = {name for name in vars(ops) if not name.startswith("_")}
    assert public <= defined, sorted(public - defined)
    assert set(functional.__all__) <= defined
    for name in functional.__all__:
        assert getattr(ops, name) is getattr(functional, name) or name in ops.KERNELS, name


def test_set_backend_rejects_unknown_names(backend):
    with pytest.raises(ValueError, match="backend must be 'numba' or 'numpy', got 'torch'"):
        backend("torch")


def import_in_subprocess(env_backend):
    env = {k: v for k, v in os.environ.items() if k != "MINITRANS_BACKEND"}
    env["MINITRANS_BACKEND"] = env_backend
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    code = "import minitrans; print(minitrans.get_backend())"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_environment_variable_chooses_the_default():
    done = import_in_subprocess("numpy")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "numpy"
    done = import_in_subprocess("cuda")
    assert done.returncode != 0
    assert "MINITRANS_BACKEND must be 'numba' or 'numpy', got 'cuda'" in done.stderr


def test_workqueue_threading_layer_is_chosen_unless_the_user_chose():
    if os.environ.get("NUMBA_THREADING_LAYER"):
        assert numba.config.THREADING_LAYER == os.environ["NUMBA_THREADING_LAYER"]
    else:
        assert numba.config.THREADING_LAYER == "workqueue"
