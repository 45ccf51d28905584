"""What every left-to-right language model here shares (GPT, the LSTM LM): the LM head and the loss.

A body subclass defines hidden_forward(ids, attention_mask=None, ...) -> (h (B, T, C), cache) and
hidden_backward(dh, cache), a token embedding `wte` and `lm_head` (a Linear, or None when the head
reuses the embedding matrix). This interface is all the finetuning head (gpt_heads.py) reads, so
one head serves every body.
"""
from .. import ops
from ..nn import Module


class CausalLM(Module):
    """Logits through the (tied or untied) LM head on top of a body's final states, and the next-token loss."""

    def head_forward(self, h):
        """h: (B, T, C) -> logits: (B, T, V)."""
        if self.lm_head is not None:
            return self.lm_head.forward(h)
        return ops.linear_forward(h, self.wte.weight.data.T)

    def head_backward(self, dlogits, cache):
        """dlogits: (B, T, V) -> dh: (B, T, C)."""
        if self.lm_head is not None:
            return self.lm_head.backward(dlogits, cache)
        dh, dWt, _ = ops.linear_backward(dlogits, cache)
        self.wte.weight.grad += dWt.T
        return dh

    def forward(self, ids, attention_mask=None, **body_options):
        """ids: (B, T) -> logits: (B, T, V), cache. body_options go to hidden_forward (GPT's past_kv)."""
        h, hidden_cache = self.hidden_forward(ids, attention_mask, **body_options)
        logits, head_cache = self.head_forward(h)
        return logits, {"hidden": hidden_cache, "head": head_cache}

    def backward(self, dlogits, cache):
        """dlogits: (B, T, V) -> None; fills every parameter's grad."""
        self.hidden_backward(self.head_backward(dlogits, cache["head"]), cache["hidden"])

    def loss(self, ids, targets, attention_mask=None):
        """Forward and next-token cross-entropy. targets: (B, T), -100 ignored -> (loss, dlogits, cache)."""
        logits, cache = self.forward(ids, attention_mask)
        loss, loss_cache = ops.cross_entropy_forward(logits, targets)
        return loss, ops.cross_entropy_backward(1.0, loss_cache), cache
