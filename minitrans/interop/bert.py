"""BERT in the Hugging Face layout (model_type "bert"): config keys and tensor names.

    minitrans                                   Hugging Face
    tok_emb / pos_emb / seg_emb .weight         embeddings.word / position / token_type _embeddings.weight
    emb_norm                                    embeddings.LayerNorm
    blocks.N.self_attn.sublayer.q / k / v       encoder.layer.N.attention.self.query / key / value
    blocks.N.self_attn.sublayer.out             encoder.layer.N.attention.output.dense
    blocks.N.self_attn.norm                     encoder.layer.N.attention.output.LayerNorm
    blocks.N.ffn.sublayer.up / down             encoder.layer.N.intermediate.dense / output.dense
    blocks.N.ffn.norm                           encoder.layer.N.output.LayerNorm
    pooler                                      pooler.dense
    (BertForPreTraining: the body under "bert.", and the heads)
    mlm_dense / mlm_norm / mlm_bias             cls.predictions.transform.dense / .LayerNorm, cls.predictions.bias
    mlm_decoder (untied only)                   cls.predictions.decoder.weight
    nsp_head                                    cls.seq_relationship

Hugging Face's BERT is torch's nn.Linear, which stores W as (out, in): every matrix is
transposed on the way in and out ("linear" below).
"""
import numpy as np

from ..models import BertConfig, BertForPreTraining, BertModel, bert_parameter_counts
from .layout import plan
from .options import REQUIRED, activation_from, check_fixed, dropout_from, make_config, option

BODY = [
    (r"tok_emb\.weight", "{p}embeddings.word_embeddings.weight", "same"),
    (r"pos_emb\.weight", "{p}embeddings.position_embeddings.weight", "same"),
    (r"seg_emb\.weight", "{p}embeddings.token_type_embeddings.weight", "same"),
    (r"emb_norm\.(weight|bias)", r"{p}embeddings.LayerNorm.\1", "same"),
    (r"blocks\.(\d+)\.self_attn\.sublayer\.q\.(weight|bias)", r"{p}encoder.layer.\1.attention.self.query.\2", "linear"),
    (r"blocks\.(\d+)\.self_attn\.sublayer\.k\.(weight|bias)", r"{p}encoder.layer.\1.attention.self.key.\2", "linear"),
    (r"blocks\.(\d+)\.self_attn\.sublayer\.v\.(weight|bias)", r"{p}encoder.layer.\1.attention.self.value.\2", "linear"),
    (r"blocks\.(\d+)\.self_attn\.sublayer\.out\.(weight|bias)", r"{p}encoder.layer.\1.attention.output.dense.\2",
     "linear"),
    (r"blocks\.(\d+)\.self_attn\.norm\.(weight|bias)", r"{p}encoder.layer.\1.attention.output.LayerNorm.\2", "same"),
    (r"blocks\.(\d+)\.ffn\.sublayer\.up\.(weight|bias)", r"{p}encoder.layer.\1.intermediate.dense.\2", "linear"),
    (r"blocks\.(\d+)\.ffn\.sublayer\.down\.(weight|bias)", r"{p}encoder.layer.\1.output.dense.\2", "linear"),
    (r"blocks\.(\d+)\.ffn\.norm\.(weight|bias)", r"{p}encoder.layer.\1.output.LayerNorm.\2", "same"),
    (r"pooler\.(weight|bias)", r"{p}pooler.dense.\1", "linear"),
]
HEADS = [
    (r"mlm_dense\.(weight|bias)", r"cls.predictions.transform.dense.\1", "linear"),
    (r"mlm_norm\.(weight|bias)", r"cls.predictions.transform.LayerNorm.\1", "same"),
    (r"mlm_bias", "cls.predictions.bias", "same"),
    (r"mlm_decoder\.weight", "cls.predictions.decoder.weight", "linear"),
    (r"nsp_head\.(weight|bias)", r"cls.seq_relationship.\1", "linear"),
]
SAVED_ACTIVATIONS = {"gelu": "gelu", "gelu_tanh": "gelu_new", "relu": "relu"}   # minitrans -> config.json
ACTIVATIONS = {"gelu": "gelu", "gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "relu": "relu"}
# options of the Hugging Face config that minitrans's BERT cannot express unless they have these values
FIXED = {"position_embedding_type": "absolute", "is_decoder": False, "add_cross_attention": False}
# the sizes: BertConfig field -> (config.json key, its default; REQUIRED: the file must hold it)
SIZES = {"vocab_size": ("vocab_size", REQUIRED), "max_position": ("max_position_embeddings", 512),
         "type_vocab_size": ("type_vocab_size", 2), "n_layer": ("num_hidden_layers", REQUIRED),
         "n_head": ("num_attention_heads", REQUIRED), "d_model": ("hidden_size", REQUIRED),
         "d_ff": ("intermediate_size", REQUIRED)}


def config_from_hf(hf, path):
    """A BertConfig from the dict of a BERT config.json; ValueError naming an option minitrans lacks
    or a value of the wrong type or range."""
    check_fixed(hf, path, "BERT", FIXED)
    act = activation_from(hf, path, "hidden_act", "gelu", ACTIVATIONS)
    dropout = dropout_from(hf, path, "BERT", ("hidden_dropout_prob", "attention_probs_dropout_prob"))
    sizes = {field: option(hf, path, key, "size", default) for field, (key, default) in SIZES.items()}
    return make_config(BertConfig, path, **sizes, dropout=dropout, activation=act,
                       layer_norm_eps=option(hf, path, "layer_norm_eps", "positive", 1e-12),
                       pad_token_id=option(hf, path, "pad_token_id", "index", 0, nullable=True),
                       tie_weights=option(hf, path, "tie_word_embeddings", "flag", True))


def least_parameters(config):
    """The parameters every file of this config holds: embeddings and encoder (pooler and heads are optional)."""
    counts = bert_parameter_counts(config)
    return counts["embeddings"] + counts["encoder"]


def config_to_hf(model):
    """The config.json dict of a BertModel or BertForPreTraining."""
    c = model.config if isinstance(model, BertModel) else model.bert.config
    act = SAVED_ACTIVATIONS[c.activation]
    if isinstance(model, BertModel):
        architecture = "BertModel"
    else:
        architecture = "BertForPreTraining" if model.nsp_head is not None else "BertForMaskedLM"
    return {"architectures": [architecture], "model_type": "bert", "vocab_size": c.vocab_size,
            "hidden_size": c.d_model, "num_hidden_layers": c.n_layer, "num_attention_heads": c.n_head,
            "intermediate_size": c.d_ff, "hidden_act": act, "hidden_dropout_prob": c.dropout,
            "attention_probs_dropout_prob": c.dropout, "max_position_embeddings": c.max_position,
            "type_vocab_size": c.type_vocab_size, "layer_norm_eps": c.layer_norm_eps,
            "pad_token_id": c.pad_token_id, "tie_word_embeddings": c.tie_weights,
            "position_embedding_type": "absolute", "initializer_range": 0.02, "torch_dtype": c.dtype}


def model_plan(model, body_prefix):
    """Layout entries of a BertModel, or of a BertForPreTraining whose body is `model.bert`."""
    if isinstance(model, BertModel):
        return plan(model, BODY, body_prefix)
    rules = [(r"bert\." + pattern, name, kind) for pattern, name, kind in BODY] + HEADS
    return plan(model, rules, body_prefix)


def build(config, names):
    """(model, entries) for the tensor names of a file: the "bert." prefix, the pooler and the
    pretraining heads ("cls.") are each optional, as Hugging Face writes them (a BertForMaskedLM
    has "bert." and "cls.predictions" but no pooler: a BertForPreTraining without NSP and pooler)."""
    prefix = "bert." if any(n.startswith("bert.") for n in names) else ""
    config.pooler = any(n.startswith(prefix + "pooler.") for n in names)   # masked-LM checkpoints have none
    bert = BertModel(config)
    if not any(n.startswith("cls.") for n in names):
        return bert, model_plan(bert, prefix)
    head = BertForPreTraining(bert, nsp=any(n.startswith("cls.seq_relationship.") for n in names))
    return head, model_plan(head, prefix)


def save_prefix(model):
    """The prefix Hugging Face gives the body: none for BertModel, "bert." under the heads."""
    return "" if isinstance(model, BertModel) else "bert."


def known_extras(tensors, entries, path):
    """Names in the file that are not parameters but are understood, each checked:
    the position_ids buffer (0, 1, 2, ...) and tied copies of the MLM decoder."""
    by_name = {hf: name for name, hf, _, _ in entries}
    known = []
    for name, array in tensors.items():
        if name in by_name:
            continue
        if name.endswith("embeddings.position_ids"):
            if not np.array_equal(np.ravel(array), np.arange(array.size)):
                raise ValueError(f"'{path}': buffer '{name}' is not 0, 1, 2, ...; minitrans cannot express it")
            known.append(name)
        elif name == "cls.predictions.decoder.bias" and "cls.predictions.bias" in tensors:
            _check_copy(path, name, array, "cls.predictions.bias", tensors)
            known.append(name)
        elif name == "cls.predictions.decoder.weight":
            words = next(hf for n, hf, _, _ in entries if n.endswith("tok_emb.weight"))
            if words in tensors:
                _check_copy(path, name, array, words, tensors)
                known.append(name)
    return known


def _check_copy(path, name, array, original, tensors):
    if array.shape != tensors[original].shape or not np.array_equal(array, tensors[original]):
        raise ValueError(f"'{path}': '{name}' should be a tied copy of '{original}' but differs; "
                         f"set tie_word_embeddings false in config.json if the decoder is untied")
