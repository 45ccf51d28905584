"""GPT-2 in the Hugging Face layout (model_type "gpt2"): config keys and tensor names.

    minitrans                                   Hugging Face (under "transformer." in GPT2LMHeadModel)
    wte.weight, wpe.weight                      wte.weight, wpe.weight
    blocks.N.self_attn.norm                     h.N.ln_1
    blocks.N.self_attn.sublayer.q, k, v         h.N.attn.c_attn: one (C, 3C) matrix, q | k | v side by side
    blocks.N.self_attn.sublayer.out             h.N.attn.c_proj
    blocks.N.ffn.norm                           h.N.ln_2
    blocks.N.ffn.sublayer.up / down             h.N.mlp.c_fc / h.N.mlp.c_proj
    ln_f                                        ln_f
    lm_head.weight (untied only)                lm_head.weight (outside "transformer.", torch's (V, C))

GPT-2 stores its projections as Conv1D, W of shape (in, out): minitrans's own layout, so
nothing but the LM head is transposed.
"""
import numpy as np

from ..models import GPT, GPTConfig, count_gpt_parameters
from .layout import plan
from .options import REQUIRED, activation_from, check_fixed, dropout_from, make_config, option

RULES = [
    (r"wte\.weight", "{p}wte.weight", "same"),
    (r"wpe\.weight", "{p}wpe.weight", "same"),
    (r"blocks\.(\d+)\.self_attn\.norm\.(weight|bias)", r"{p}h.\1.ln_1.\2", "same"),
    (r"blocks\.(\d+)\.self_attn\.sublayer\.q\.(weight|bias)", r"{p}h.\1.attn.c_attn.\2", ("part", 0, 3)),
    (r"blocks\.(\d+)\.self_attn\.sublayer\.k\.(weight|bias)", r"{p}h.\1.attn.c_attn.\2", ("part", 1, 3)),
    (r"blocks\.(\d+)\.self_attn\.sublayer\.v\.(weight|bias)", r"{p}h.\1.attn.c_attn.\2", ("part", 2, 3)),
    (r"blocks\.(\d+)\.self_attn\.sublayer\.out\.(weight|bias)", r"{p}h.\1.attn.c_proj.\2", "same"),
    (r"blocks\.(\d+)\.ffn\.norm\.(weight|bias)", r"{p}h.\1.ln_2.\2", "same"),
    (r"blocks\.(\d+)\.ffn\.sublayer\.up\.(weight|bias)", r"{p}h.\1.mlp.c_fc.\2", "same"),
    (r"blocks\.(\d+)\.ffn\.sublayer\.down\.(weight|bias)", r"{p}h.\1.mlp.c_proj.\2", "same"),
    (r"ln_f\.(weight|bias)", r"{p}ln_f.\1", "same"),
    (r"lm_head\.weight", "lm_head.weight", "transpose"),
]
SAVED_ACTIVATIONS = {"gelu": "gelu", "gelu_tanh": "gelu_new", "relu": "relu"}   # minitrans -> config.json
ACTIVATIONS = {"gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "gelu": "gelu", "relu": "relu"}
FIXED = {"scale_attn_by_inverse_layer_idx": False, "add_cross_attention": False}
DROPOUTS = ("resid_pdrop", "embd_pdrop", "attn_pdrop")
# the sizes: GPTConfig field -> (config.json key, its default; REQUIRED: the file must hold it)
SIZES = {"vocab_size": ("vocab_size", REQUIRED), "block_size": ("n_positions", 1024), "n_layer": ("n_layer", REQUIRED),
         "n_head": ("n_head", REQUIRED), "n_embd": ("n_embd", REQUIRED)}


def config_from_hf(hf, path):
    """A GPTConfig from the dict of a GPT-2 config.json; ValueError naming an option minitrans lacks
    or a value of the wrong type or range."""
    check_fixed(hf, path, "GPT", FIXED)
    act = activation_from(hf, path, "activation_function", "gelu_new", ACTIVATIONS)
    dropout = dropout_from(hf, path, "GPT", DROPOUTS)
    sizes = {field: option(hf, path, key, "size", default) for field, (key, default) in SIZES.items()}
    return make_config(GPTConfig, path, **sizes, n_inner=option(hf, path, "n_inner", "size", None, nullable=True),
                       dropout=dropout, norm_first=True, bias=True, activation=act,
                       tie_weights=option(hf, path, "tie_word_embeddings", "flag", True),
                       scale_attn=option(hf, path, "scale_attn_weights", "flag", True),
                       layer_norm_eps=option(hf, path, "layer_norm_epsilon", "positive", 1e-5))


def least_parameters(config):
    """The parameters every file of this config holds."""
    return count_gpt_parameters(config)


def config_to_hf(model, tokenizer=None):
    """The config.json dict of a GPT; ValueError for a GPT that GPT-2's layout cannot hold."""
    c = model.config
    if not c.norm_first or not c.bias:
        raise ValueError(f"GPT-2's layout holds a pre-norm GPT with biases; this GPT has norm_first={c.norm_first}, "
                         f"bias={c.bias}")
    act = SAVED_ACTIVATIONS[c.activation]
    eos = getattr(tokenizer, "eos_id", None)
    return {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": c.vocab_size,
            "n_positions": c.block_size, "n_embd": c.n_embd, "n_layer": c.n_layer, "n_head": c.n_head,
            "n_inner": c.n_inner, "activation_function": act, "layer_norm_epsilon": c.layer_norm_eps,
            **{key: c.dropout for key in DROPOUTS}, "scale_attn_weights": c.scale_attn,
            "tie_word_embeddings": c.tie_weights, "bos_token_id": eos, "eos_token_id": eos,
            "initializer_range": 0.02, "torch_dtype": c.dtype}


def model_plan(model, prefix):
    """Layout entries of a GPT."""
    return plan(model, RULES, prefix)


def build(config, names):
    """(model, entries) for the tensor names of a file, with or without the "transformer." prefix."""
    model = GPT(config)
    prefix = "transformer." if any(n.startswith("transformer.") for n in names) else ""
    return model, model_plan(model, prefix)


def save_prefix(model):
    """GPT2LMHeadModel keeps the body under "transformer."."""
    return "transformer."


def known_extras(tensors, entries, path):
    """Names in the file that are not parameters but are understood, each checked: the causal-mask
    buffers older files carry (attn.bias, attn.masked_bias) and a tied copy of the LM head."""
    by_name = {hf for _, hf, _, _ in entries}
    wte = next(hf for n, hf, _, _ in entries if n == "wte.weight")
    known = []
    for name, array in tensors.items():
        if name in by_name:
            continue
        mask_shaped = array.ndim == 0 or (array.ndim == 4 and array.shape[:2] == (1, 1))   # masked_bias, bias
        if name.endswith((".attn.bias", ".attn.masked_bias")) and mask_shaped:
            causal = np.tril(np.ones(array.shape[-2:], bool)) if array.ndim == 4 else None
            if causal is not None and not np.array_equal(array[0, 0].astype(bool), causal):
                raise ValueError(f"'{path}': buffer '{name}' is not a causal mask; minitrans cannot express it")
            known.append(name)
        elif name == "lm_head.weight" and wte in tensors:
            if array.shape != tensors[wte].shape or not np.array_equal(array, tensors[wte]):
                raise ValueError(f"'{path}': 'lm_head.weight' differs from '{wte}' but config.json ties them; "
                                 f"set tie_word_embeddings false if the head is untied")
            known.append(name)
    return known
