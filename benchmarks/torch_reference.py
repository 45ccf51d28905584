"""The PyTorch reference models that benchmarks/run.py measures minitrans against.

Same shapes and the same training step as minitrans (forward, backward, clip, AdamW),
written with torch.nn in eager mode on the CPU. torch is never a dependency of
minitrans: this file is imported only when torch happens to be installed.
"""
import math

import torch
import torch.nn as tnn
import torch.nn.functional as TF


class BabyBlock(tnn.Module):
    """Pre-norm block with a fused q/k/v projection; `bias` switches every Linear and LayerNorm bias."""

    def __init__(self, C, H, bias=False, ln_bias=None):
        super().__init__()
        ln_bias = bias if ln_bias is None else ln_bias
        self.H = H
        self.ln_1, self.ln_2 = tnn.LayerNorm(C, bias=ln_bias), tnn.LayerNorm(C, bias=ln_bias)
        self.c_attn, self.attn_proj = tnn.Linear(C, 3 * C, bias=bias), tnn.Linear(C, C, bias=bias)
        self.c_fc, self.mlp_proj = tnn.Linear(C, 4 * C, bias=bias), tnn.Linear(4 * C, C, bias=bias)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.H, C // self.H).transpose(1, 2) for t in (q, k, v))
        y = TF.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn_proj(y.transpose(1, 2).contiguous().view(B, T, C))
        return x + self.mlp_proj(TF.gelu(self.c_fc(self.ln_2(x))))        # exact (erf) GELU


class TorchBabyGPT(tnn.Module):
    """The character-level baby GPT of the Shakespeare recipe: pre-norm, tied head, no biases
    (Linear and LayerNorm), exact GELU; weights N(0, 0.02), the two residual output projections
    N(0, 0.02 / sqrt(2 n_layer)). forward(idx, targets=None) -> logits, or the mean cross-entropy."""

    def __init__(self, vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128, bias=False, ln_bias=None):
        super().__init__()
        self.wte, self.wpe = tnn.Embedding(vocab_size, n_embd), tnn.Embedding(block_size, n_embd)
        self.blocks = tnn.ModuleList([BabyBlock(n_embd, n_head, bias, ln_bias) for _ in range(n_layer)])
        self.ln_f = tnn.LayerNorm(n_embd, bias=bias if ln_bias is None else ln_bias)
        for name, p in self.named_parameters():
            if name.endswith("proj.weight"):
                tnn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer))
            elif p.dim() == 2:
                tnn.init.normal_(p, 0.0, 0.02)
            elif name.endswith(".bias"):
                tnn.init.zeros_(p)

    def forward(self, idx, targets=None):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.T
        if targets is None:
            return logits
        return TF.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def baby_gpt_optimizer(model, lr=1e-3, betas=(0.9, 0.99), weight_decay=0.1):
    """AdamW with weight decay on the 2-D parameters (matrices, embeddings) only."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=1e-8)


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


def train_step_fn(model, lr=1e-3, optimizer=None):
    """A function running one step: zero_grad, forward, backward, clip to 1.0, AdamW (or `optimizer`)."""
    opt = optimizer or torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1)

    def step(*batch):
        opt.zero_grad(set_to_none=True)
        loss = model(*batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()
    return step


def attention_fwd_bwd(q, k, v, causal):
    """scaled_dot_product_attention forward and backward on (B, H, T, D) tensors."""
    out = TF.scaled_dot_product_attention(q, k, v, is_causal=causal)
    out.backward(torch.ones_like(out) / math.sqrt(out.numel()))
    return out


def t5_buckets(Tq, Tk, bidirectional, num_buckets=32, max_distance=128):
    """T5's relative-position buckets (key - query) as a (Tq, Tk) long tensor."""
    n = -(torch.arange(Tk)[None, :] - torch.arange(Tq)[:, None])
    bucket = torch.zeros_like(n)
    if bidirectional:
        num_buckets //= 2
        bucket += (n < 0).long() * num_buckets
        n = n.abs()
    else:
        n = n.clamp(min=0)
    max_exact = num_buckets // 2
    large = max_exact + (torch.log(n.clamp(min=1).float() / max_exact) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).long()
    return bucket + torch.where(n < max_exact, n, large.clamp(max=num_buckets - 1))


class T5Attention(tnn.Module):
    """Attention without biases or 1/sqrt(d) scaling; `bias` (1, H, Tq, Tk) floats, -inf where masked."""

    def __init__(self, C, H):
        super().__init__()
        self.H = H
        self.q, self.k, self.v, self.o = (tnn.Linear(C, C, bias=False) for _ in range(4))

    def forward(self, x, source, bias):
        B, T, C = x.shape
        q = self.q(x).view(B, T, self.H, -1).transpose(1, 2)
        k, v = (p(source).view(B, source.shape[1], self.H, -1).transpose(1, 2) for p in (self.k, self.v))
        y = TF.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=1.0)
        return self.o(y.transpose(1, 2).reshape(B, T, C))


class T5Layer(tnn.Module):
    """Pre-RMSNorm self-attention, (decoder) cross-attention, ReLU feed-forward; no biases."""

    def __init__(self, C, H, F, cross):
        super().__init__()
        self.norms = tnn.ModuleList(tnn.RMSNorm(C, eps=1e-6) for _ in range(3 if cross else 2))
        self.attn = T5Attention(C, H)
        self.cross = T5Attention(C, H) if cross else None
        self.wi, self.wo = tnn.Linear(C, F, bias=False), tnn.Linear(F, C, bias=False)

    def forward(self, x, bias, context=None, context_bias=None):
        h = self.norms[0](x)
        x = x + self.attn(h, h, bias)
        if self.cross is not None:
            x = x + self.cross(self.norms[1](x), context, context_bias)
        return x + self.wo(TF.relu(self.wi(self.norms[-1](x))))


class TorchT5(tnn.Module):
    """A T5 (v1.0) encoder-decoder: shared embedding, one relative bias table per stack, tied head
    scaled by d_model^-0.5. forward(input_ids, decoder_input_ids, labels) -> mean cross-entropy."""

    def __init__(self, vocab_size, n_layer, n_head, d_model, d_ff, num_buckets=32, max_distance=128):
        super().__init__()
        self.shared = tnn.Embedding(vocab_size, d_model)
        self.enc_bias, self.dec_bias = tnn.Embedding(num_buckets, n_head), tnn.Embedding(num_buckets, n_head)
        self.encoder = tnn.ModuleList(T5Layer(d_model, n_head, d_ff, False) for _ in range(n_layer))
        self.decoder = tnn.ModuleList(T5Layer(d_model, n_head, d_ff, True) for _ in range(n_layer))
        self.enc_norm, self.dec_norm = tnn.RMSNorm(d_model, eps=1e-6), tnn.RMSNorm(d_model, eps=1e-6)
        self.d_model, self.buckets = d_model, (num_buckets, max_distance)

    def forward(self, input_ids, decoder_input_ids, labels):
        S, T = input_ids.shape[1], decoder_input_ids.shape[1]
        enc_bias = self.enc_bias(t5_buckets(S, S, True, *self.buckets)).permute(2, 0, 1)[None]
        causal = torch.full((T, T), float("-inf")).triu(1)
        dec_bias = self.dec_bias(t5_buckets(T, T, False, *self.buckets)).permute(2, 0, 1)[None] + causal
        x = self.shared(input_ids)
        for layer in self.encoder:
            x = layer(x, enc_bias)
        context = self.enc_norm(x)
        y = self.shared(decoder_input_ids)
        for layer in self.decoder:
            y = layer(y, dec_bias, context, None)
        logits = (self.dec_norm(y) * self.d_model ** -0.5) @ self.shared.weight.T
        return TF.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
