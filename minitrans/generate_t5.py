"""Decoding a T5: greedy and beam search, the encoder run once and the decoder's keys and values cached.

    e = encode(input_ids)                       # once
    context_kv = decoder's cross-attention keys/values of e   # once
    start with [pad] (the start token); each step runs only the newest token through the
    decoder, with the self-attention keys and values of the earlier steps (past_kv)

Both stop at the end token (eos) or after max_new_tokens and return the generated ids
without the start token, with the eos when one was produced.
"""
import numpy as np

from . import ops
from .functional.checks import check_padding_mask


def check_generation_inputs(model, input_ids, attention_mask, max_new_tokens):
    """input_ids as (B, S) (one sequence (S,) becomes (1, S)) and a boolean mask of the same shape (all True
    when None); clear errors for a mask of another shape or dtype and for bad sizes."""
    input_ids = np.asarray(input_ids)
    one_sequence = input_ids.ndim == 1
    if one_sequence:
        input_ids = input_ids[None]
    if attention_mask is None:
        attention_mask = np.ones(input_ids.shape, dtype=bool)
    attention_mask = np.asarray(attention_mask)
    if one_sequence and attention_mask.ndim == 1:
        attention_mask = attention_mask[None]
    check_padding_mask("attention_mask", attention_mask, "input_ids", input_ids.shape)     # never reshaped
    if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be a positive int, got {max_new_tokens!r}")
    if max_new_tokens > model.config.max_target_length:
        raise ValueError(f"max_new_tokens={max_new_tokens} is longer than "
                         f"max_target_length={model.config.max_target_length}")
    return input_ids, attention_mask


def decoder_step(model, tokens, encoder_states, attention_mask, past_kv, context_kv):
    """tokens: (N,) the newest token of each row -> log-probabilities (N, V) of the next one, present_kv."""
    logits, cache = model.decode(tokens[:, None], encoder_states, attention_mask, past_kv=past_kv,
                                 context_kv=context_kv)
    logp, _ = ops.log_softmax_forward(logits[:, -1].astype(np.float64))
    return logp, cache["present_kv"]


def greedy_decode(model, input_ids, attention_mask=None, max_new_tokens=32, use_cache=True):
    """The most likely token at each step, for a batch -> list of B int lists (eos included when produced).

    use_cache=False recomputes the whole decoder every step (for tests: the same answers, slower)."""
    input_ids, attention_mask = check_generation_inputs(model, input_ids, attention_mask, max_new_tokens)
    with model.evaluating():
        c = model.config
        e, _ = model.encode(input_ids, attention_mask)
        context_kv = model.context_keys_values(e) if use_cache else None
        B = len(input_ids)
        decoded = np.full((B, 1), c.pad_id, dtype=np.int64)        # the start token
        done = np.zeros(B, dtype=bool)
        past_kv = None
        for _ in range(max_new_tokens):
            if use_cache:
                logp, past_kv = decoder_step(model, decoded[:, -1], e, attention_mask, past_kv, context_kv)
            else:
                logits, _ = model.decode(decoded, e, attention_mask)
                logp, _ = ops.log_softmax_forward(logits[:, -1].astype(np.float64))
            nxt = np.where(done, c.pad_id, logp.argmax(axis=-1))
            decoded = np.concatenate([decoded, nxt[:, None]], axis=1)
            done |= nxt == c.eos_id
            if done.all():
                break
    return [strip_after_eos(row[1:], model.config.eos_id) for row in decoded]


def strip_after_eos(ids, eos_id):
    """A list of ids up to and including the first eos."""
    ids = [int(t) for t in ids]
    return ids[:ids.index(eos_id) + 1] if eos_id in ids else ids


def beam_search(model, input_ids, attention_mask=None, beam_size=4, max_new_tokens=32, length_penalty=1.0):
    """Beam search for one input (S,) or (1, S) -> (ids, score) of the best finished hypothesis.

    Each step extends every live hypothesis by its 2 * beam_size best tokens; a candidate that
    ends in eos and ranks among the best beam_size is finished, the best beam_size others live on.
    A hypothesis of n tokens scores sum(log p) / n ** length_penalty (0: pure log-probability,
    > 0 favours longer answers). The search stops when beam_size hypotheses are finished and no
    live one scores better than the worst of them at the current length, or after max_new_tokens.
    """
    input_ids, attention_mask = check_generation_inputs(model, input_ids, attention_mask, max_new_tokens)
    if len(input_ids) != 1:
        raise ValueError(f"beam_search decodes one input at a time, got a batch of {len(input_ids)}")
    if not isinstance(beam_size, int) or beam_size < 1:
        raise ValueError(f"beam_size must be a positive int, got {beam_size!r}")
    with model.evaluating():
        return search_beams(model, input_ids, attention_mask, beam_size, max_new_tokens, length_penalty)


def search_beams(model, input_ids, attention_mask, beam_size, max_new_tokens, length_penalty):
    """The search of beam_search, on checked inputs."""
    c = model.config
    e, _ = model.encode(input_ids, attention_mask)
    context_kv = model.context_keys_values(e)
    repeated = {}                                          # the encoder side, repeated once per number of rows
    sequences, sums = [[]], np.zeros(1)                   # live hypotheses and their summed log-probs
    finished = []                                          # (score, ids)
    past_kv = None
    last = np.array([c.pad_id])

    def score(total, n):
        return total / n ** length_penalty

    for step in range(1, max_new_tokens + 1):
        n = len(sequences)
        if n not in repeated:
            repeated[n] = dict(encoder_states=np.repeat(e, n, axis=0),
                               attention_mask=np.repeat(attention_mask, n, axis=0),
                               context_kv=[(np.repeat(k, n, axis=0), np.repeat(v, n, axis=0)) for k, v in context_kv])
        rows = repeated[n]
        logp, present = decoder_step(model, last, rows["encoder_states"], rows["attention_mask"], past_kv,
                                     rows["context_kv"])
        candidates = (sums[:, None] + logp).reshape(-1)
        order = np.argsort(-candidates, kind="stable")[:2 * beam_size]
        keep_rows, keep_tokens, keep_sums = [], [], []
        for rank, flat in enumerate(order):
            row, token = divmod(int(flat), logp.shape[1])
            if token == c.eos_id:
                if rank < beam_size:
                    finished.append((score(candidates[flat], step), sequences[row] + [token]))
            elif len(keep_rows) < beam_size:
                keep_rows.append(row)
                keep_tokens.append(token)
                keep_sums.append(candidates[flat])
        finished.sort(key=lambda f: -f[0])
        finished = finished[:beam_size]
        best_live = max(keep_sums) if keep_sums else -np.inf
        if len(finished) == beam_size and score(best_live, step) <= finished[-1][0]:
            break
        if not keep_rows:
            break
        sequences = [sequences[r] + [t] for r, t in zip(keep_rows, keep_tokens)]
        sums, last = np.array(keep_sums), np.array(keep_tokens)
        past_kv = [(k[keep_rows], v[keep_rows]) for k, v in present]
    if not finished:                                       # nothing ended within max_new_tokens
        finished = [(score(s, len(seq)), seq) for s, seq in zip(sums, sequences)]
        finished.sort(key=lambda f: -f[0])
    best_score, best = finished[0]
    return best, float(best_score)
