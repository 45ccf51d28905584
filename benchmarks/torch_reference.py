"""The PyTorch reference models that benchmarks/run.py measures minitrans against.

Same shapes and the same training step as minitrans (forward, backward, clip, AdamW),
written with torch.nn in eager mode on the CPU. torch is never a dependency of
minitrans: this file is imported only when torch happens to be installed.
"""
import math

import torch
import torch.nn as tnn
import torch.nn.functional as TF


class CausalSelfAttention(tnn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.qkv, self.proj, self.H = tnn.Linear(C, 3 * C), tnn.Linear(C, C), H

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.H, C // self.H).transpose(1, 2) for t in (q, k, v))
        y = TF.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Block(tnn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.ln1, self.attn, self.ln2 = tnn.LayerNorm(C), CausalSelfAttention(C, H), tnn.LayerNorm(C)
        self.mlp = tnn.Sequential(tnn.Linear(C, 4 * C), tnn.GELU(approximate="tanh"), tnn.Linear(4 * C, C))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TorchGPT(tnn.Module):
    """A pre-norm GPT-2 with a tied head, the shape of minitrans.models.GPT."""

    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd):
        super().__init__()
        self.wte, self.wpe = tnn.Embedding(vocab_size, n_embd), tnn.Embedding(block_size, n_embd)
        self.blocks = tnn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)])
        self.ln_f = tnn.LayerNorm(n_embd)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.T
        return TF.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


class TorchBert(tnn.Module):
    """A post-norm BERT encoder with a tied MLM head over the masked positions only."""

    def __init__(self, vocab_size, max_len, n_layer, n_head, d_model, d_ff):
        super().__init__()
        self.tok, self.pos, self.seg = (tnn.Embedding(vocab_size, d_model), tnn.Embedding(max_len, d_model),
                                        tnn.Embedding(2, d_model))
        self.ln = tnn.LayerNorm(d_model, eps=1e-12)
        layer = tnn.TransformerEncoderLayer(d_model, n_head, d_ff, dropout=0.0, activation="gelu",
                                            batch_first=True, norm_first=False, layer_norm_eps=1e-12)
        self.encoder = tnn.TransformerEncoder(layer, n_layer, enable_nested_tensor=False)
        self.transform, self.mlm_ln = tnn.Linear(d_model, d_model), tnn.LayerNorm(d_model, eps=1e-12)
        self.bias = tnn.Parameter(torch.zeros(vocab_size))

    def forward(self, ids, segments, pad_mask, labels):
        x = self.tok(ids) + self.pos(torch.arange(ids.shape[1])) + self.seg(segments)
        h = self.encoder(self.ln(x), src_key_padding_mask=~pad_mask)
        picked = labels != -100
        z = self.mlm_ln(TF.gelu(self.transform(h[picked])))
        return TF.cross_entropy(z @ self.tok.weight.T + self.bias, labels[picked])


def train_step_fn(model, lr=1e-3):
    """A function running one step: zero_grad, forward, backward, clip to 1.0, AdamW."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1)

    def step(*batch):
        opt.zero_grad(set_to_none=True)
        loss = model(*batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return float(loss)
    return step


def attention_fwd_bwd(q, k, v, causal):
    """scaled_dot_product_attention forward and backward on (B, H, T, D) tensors."""
    out = TF.scaled_dot_product_attention(q, k, v, is_causal=causal)
    out.backward(torch.ones_like(out) / math.sqrt(out.numel()))
    return out
