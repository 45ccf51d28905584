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
and does not. minitrans has no T5 model yet, so this file holds the layout only: load_hf checks
a T5 folder against it and says that there is no model to fill.
"""

OPTIONAL_COPIES = ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight")   # older files repeat shared.weight
FEED_FORWARD = {"relu": ("wi",), "gated-gelu": ("wi_0", "wi_1")}


def t5_shapes(hf, path="config.json"):
    """{tensor name: shape} of a T5ForConditionalGeneration with the Hugging Face config dict `hf`."""
    proj = hf.get("feed_forward_proj", "relu")
    if proj not in FEED_FORWARD:
        raise ValueError(f"'{path}': feed_forward_proj {proj!r} is not one minitrans knows; "
                         f"supported: {sorted(FEED_FORWARD)}")
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
