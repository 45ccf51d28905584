"""T5 in the Hugging Face layout (model_type "t5"): the tensor names and shapes a config implies.

    shared.weight                                                  (V, C)  token embedding, shared by both stacks
    encoder.block.N.layer.0.SelfAttention.q / k / v .weight        (H*d_kv, C)   torch's (out, in)
    encoder.block.N.layer.0.SelfAttention.o.weight                 (C, H*d_kv)
    encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight   (buckets, H)  block 0 only
    encoder.block.N.layer.0.layer_norm.weight                      (C,)    RMSNorm gain, no bias
    encoder.block.N.layer.1.DenseReluDense.wi.weight               (d_ff, C)  (gated: wi_0 and wi_1)
    encoder.block.N.layer.1.DenseReluDense.wo.weight               (C, d_ff)
    encoder.block.N.layer.1.layer_norm.weight, encoder.final_layer_norm.weight
    decoder.block.N.layer.0 (SelfAttention, its own relative bias in block 0),
    decoder.block.N.layer.1.EncDecAttention (q, k, v, o) + layer_norm, decoder.block.N.layer.2 (feed-forward)
    decoder.final_layer_norm.weight
    lm_head.weight                                                 (V, C)  only when tie_word_embeddings is false

No Linear of T5 has a bias, and its attention has no 1/sqrt(d) scale. With a tied head the
decoder output is multiplied by C^-0.5 before the logits (T5 v1.0); T5 v1.1 unties the head
and does not.

    minitrans (models/t5.py)                    Hugging Face
    shared.weight                               shared.weight
    encoder.N.self_attn.sublayer.q / k / v / out    encoder.block.N.layer.0.SelfAttention.q / k / v / o
    encoder.0.self_attn.sublayer.relative_bias  encoder.block.0.layer.0.SelfAttention.relative_attention_bias
    encoder.N.self_attn.norm                    encoder.block.N.layer.0.layer_norm
    encoder.N.ffn.sublayer.up / down            encoder.block.N.layer.1.DenseReluDense.wi / wo
      gated-gelu: gate (gelu'd) / up            ... DenseReluDense.wi_0 / wi_1
    encoder.N.ffn.norm                          encoder.block.N.layer.1.layer_norm
    encoder_norm / decoder_norm                 encoder.final_layer_norm / decoder.final_layer_norm
    decoder.N.self_attn / cross_attn / ffn      decoder.block.N.layer.0.SelfAttention / layer.1.EncDecAttention
                                                / layer.2.DenseReluDense (norms likewise)
    lm_head.weight (untied only)                lm_head.weight

torch's nn.Linear stores (out, in), minitrans's Linear (in, out): every projection is
transposed; the relative bias is (buckets, heads) in both.
"""
import numpy as np

from ..models import T5, T5Config, count_t5_parameters
from .layout import plan
from .options import check_fixed, dropout_from, make_config, option

OPTIONAL_COPIES = ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight")   # older files repeat shared.weight
FEED_FORWARD = {"relu": ("wi",), "gated-gelu": ("wi_0", "wi_1")}
FIXED = {"is_encoder_decoder": True, "is_decoder": False}       # options minitrans's T5 has one value of
PROJECTIONS = {"q": "q", "k": "k", "v": "v", "out": "o"}          # minitrans Attention -> T5's Linear names


def feed_forward_proj(hf, path):
    """The config's feed_forward_proj, "relu" or "gated-gelu"; ValueError naming any other."""
    proj = hf.get("feed_forward_proj", "relu")
    if not isinstance(proj, str) or proj not in FEED_FORWARD:
        raise ValueError(f"'{path}': feed_forward_proj {proj!r} is not one minitrans knows; "
                         f"supported: {sorted(FEED_FORWARD)}")
    return proj


def t5_shapes(hf, path="config.json"):
    """{tensor name: shape} of a T5ForConditionalGeneration with the Hugging Face config dict `hf`."""
    proj = feed_forward_proj(hf, path)
    C, V, d_ff = hf["d_model"], hf["vocab_size"], hf["d_ff"]
    inner = hf["num_heads"] * hf["d_kv"]
    buckets = hf.get("relative_attention_num_buckets", 32)
    shapes = {"shared.weight": (V, C)}

    def attention(prefix, kind, relative):
        for p in "qkv":
            shapes[f"{prefix}.{kind}.{p}.weight"] = (inner, C)
        shapes[f"{prefix}.{kind}.o.weight"] = (C, inner)
        if relative:
            shapes[f"{prefix}.{kind}.relative_attention_bias.weight"] = (buckets, hf["num_heads"])
        shapes[f"{prefix}.layer_norm.weight"] = (C,)

    def feed_forward(prefix):
        for name in FEED_FORWARD[proj]:
            shapes[f"{prefix}.DenseReluDense.{name}.weight"] = (d_ff, C)
        shapes[f"{prefix}.DenseReluDense.wo.weight"] = (C, d_ff)
        shapes[f"{prefix}.layer_norm.weight"] = (C,)

    for i in range(hf["num_layers"]):
        attention(f"encoder.block.{i}.layer.0", "SelfAttention", relative=i == 0)
        feed_forward(f"encoder.block.{i}.layer.1")
    shapes["encoder.final_layer_norm.weight"] = (C,)
    for i in range(hf.get("num_decoder_layers") or hf["num_layers"]):
        attention(f"decoder.block.{i}.layer.0", "SelfAttention", relative=i == 0)
        attention(f"decoder.block.{i}.layer.1", "EncDecAttention", relative=False)
        feed_forward(f"decoder.block.{i}.layer.2")
    shapes["decoder.final_layer_norm.weight"] = (C,)
    if hf.get("tie_word_embeddings", True) is False:
        shapes["lm_head.weight"] = (V, C)
    return shapes


def rules(activation):
    """The name rules of a T5 whose feed-forward is `activation` ("relu" or "gated-gelu")."""
    ffn = {"up": "wi", "down": "wo"} if activation == "relu" else {"gate": "wi_0", "up": "wi_1", "down": "wo"}
    found = [(r"shared\.weight", "shared.weight", "same")]
    layers = {"encoder": [("self_attn", "SelfAttention"), ("ffn", None)],
              "decoder": [("self_attn", "SelfAttention"), ("cross_attn", "EncDecAttention"), ("ffn", None)]}
    for stack, sublayers in layers.items():
        for index, (ours, theirs) in enumerate(sublayers):
            hf = rf"{stack}.block.\1.layer.{index}"
            found.append((rf"{stack}\.(\d+)\.{ours}\.norm\.weight", rf"{hf}.layer_norm.weight", "same"))
            names = PROJECTIONS if theirs else ffn
            for mine, torch_name in names.items():
                found.append((rf"{stack}\.(\d+)\.{ours}\.sublayer\.{mine}\.weight",
                              rf"{hf}.{theirs or 'DenseReluDense'}.{torch_name}.weight", "transpose"))
            if theirs == "SelfAttention":
                found.append((rf"{stack}\.(\d+)\.{ours}\.sublayer\.relative_bias\.weight",
                              rf"{hf}.SelfAttention.relative_attention_bias.weight", "same"))
        found.append((rf"{stack}_norm\.weight", f"{stack}.final_layer_norm.weight", "same"))
    found.append((r"lm_head\.weight", "lm_head.weight", "transpose"))
    return found


def config_from_hf(hf, path):
    """A T5Config from the dict of a T5 config.json; ValueError naming an option minitrans lacks
    or a value of the wrong type or range."""
    check_fixed(hf, path, "T5", FIXED)
    proj = feed_forward_proj(hf, path)
    C, H, d_kv = (option(hf, path, key, "size") for key in ("d_model", "num_heads", "d_kv"))
    if d_kv * H != C:
        raise ValueError(f"'{path}': d_kv = {d_kv} with num_heads = {H} gives attention width "
                         f"{d_kv * H}; minitrans's T5 needs d_kv = d_model / num_heads = {C / H:g}")
    # transformers >= 5 always writes tie_word_embeddings true and says with scale_decoder_outputs whether the
    # head is T5 v1.0's (tied, scaled) or v1.1's (its own lm_head.weight, unscaled); older files say it with the tie
    tie = option(hf, path, "tie_word_embeddings", "flag", True)
    tied = option(hf, path, "scale_decoder_outputs", "flag", tie)
    if tied and not tie:
        raise ValueError(f"'{path}': tie_word_embeddings = false with scale_decoder_outputs = true; minitrans's T5 "
                         f"scales the decoder output by d_model^-0.5 only when the head is tied")
    pad, eos = option(hf, path, "pad_token_id", "index", 0), option(hf, path, "eos_token_id", "index", 1)
    start = hf.get("decoder_start_token_id", pad)
    if start != pad:
        raise ValueError(f"'{path}': decoder_start_token_id = {start!r} differs from pad_token_id = {pad!r}; "
                         f"minitrans's T5 starts decoding with the pad id")
    layers = option(hf, path, "num_layers", "size")
    length = option(hf, path, "n_positions", "size", 512)
    return make_config(T5Config, path, vocab_size=option(hf, path, "vocab_size", "size"), d_model=C, n_head=H,
                       d_ff=option(hf, path, "d_ff", "size"), n_encoder_layer=layers,
                       n_decoder_layer=option(hf, path, "num_decoder_layers", "size", layers, nullable=True) or layers,
                       num_buckets=option(hf, path, "relative_attention_num_buckets", "size", 32),
                       max_distance=option(hf, path, "relative_attention_max_distance", "size", 128),
                       max_input_length=length, max_target_length=length,
                       dropout=dropout_from(hf, path, "T5", ("dropout_rate",)), activation=proj, tie_weights=tied,
                       pad_id=pad, eos_id=eos, layer_norm_eps=option(hf, path, "layer_norm_epsilon", "positive", 1e-6))


def least_parameters(config):
    """The parameters every file of this config holds."""
    return count_t5_parameters(config)


def config_to_hf(model, tokenizer=None):
    """The config.json dict of a T5. n_positions (which transformers' T5 ignores) carries max_input_length;
    max_target_length is not written and comes back equal to it."""
    c = model.config
    return {"architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "vocab_size": c.vocab_size,
            "d_model": c.d_model, "d_kv": c.d_model // c.n_head, "d_ff": c.d_ff, "num_layers": c.n_encoder_layer,
            "num_decoder_layers": c.n_decoder_layer, "num_heads": c.n_head,
            "relative_attention_num_buckets": c.num_buckets, "relative_attention_max_distance": c.max_distance,
            "dropout_rate": c.dropout, "layer_norm_epsilon": c.layer_norm_eps, "feed_forward_proj": c.activation,
            "tie_word_embeddings": c.tie_weights, "scale_decoder_outputs": c.tie_weights,
            "is_encoder_decoder": True, "pad_token_id": c.pad_id, "eos_token_id": c.eos_id,
            "decoder_start_token_id": c.pad_id, "n_positions": c.max_input_length, "initializer_factor": 1.0,
            "torch_dtype": c.dtype}


def untie_head(hf, tensors):
    """`tensors` with lm_head.weight = shared.weight added for a transformers >= 5 T5 whose head is tied but
    unscaled (tie_word_embeddings true, scale_decoder_outputs false, no lm_head.weight in the file: what
    save_pretrained writes for a v1.1 T5). minitrans ties only with the scale, so it loads this as an untied
    head holding a copy of the embedding: the same logits; in training the two then move apart."""
    if hf.get("tie_word_embeddings", True) is not False and hf.get("scale_decoder_outputs", True) is False \
            and "lm_head.weight" not in tensors and "shared.weight" in tensors:
        return {**tensors, "lm_head.weight": tensors["shared.weight"]}
    return tensors


def model_plan(model, prefix=""):
    """Layout entries of a T5."""
    return plan(model, rules(model.config.activation), prefix)


def build(config, names):
    """(model, entries) for a T5 of this config (the names of the file need no prefix)."""
    model = T5(config)
    return model, model_plan(model)


def save_prefix(model):
    """T5ForConditionalGeneration keeps its tensors at the top level."""
    return ""


def known_extras(tensors, entries, path):
    """Names in the file that are not parameters but are understood, each checked to be a copy of
    shared.weight: the embed_tokens of each stack that older files repeat, and a tied LM head."""
    by_name = {hf for _, hf, _, _ in entries}
    known = []
    for name in OPTIONAL_COPIES + ("lm_head.weight",):
        if name in tensors and name not in by_name:
            if tensors[name].shape != tensors.get("shared.weight", np.empty(0)).shape \
                    or not np.array_equal(tensors[name], tensors["shared.weight"]):
                tied = " but config.json ties them; set tie_word_embeddings false if the head is untied" \
                    if name == "lm_head.weight" else ""
                raise ValueError(f"'{path}': '{name}' should be a copy of 'shared.weight' but differs{tied}")
            known.append(name)
    return known
