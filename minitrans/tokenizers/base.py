"""The interface shared by every minitrans tokenizer: vocabulary, special tokens, encode/decode, files.

A tokenizer owns a vocabulary (a list of token strings; a token's id is its index) and a set of
special tokens such as [PAD] or <|endoftext|>. Special tokens written literally in a text encode to
their own id; everything else goes through the subclass's `_encode_piece`. Some special tokens play a
role (pad, unk, bos, eos, cls, sep, mask) that models and batching code ask for by name: `tok.pad_id`.
"""
import os
import re

import numpy as np

from ..files import atomic_write_json
from .files import check_path, is_directory_path, read_json

ROLES = ("pad", "unk", "bos", "eos", "cls", "sep", "mask")
SENTINEL_FORMAT = "<extra_id_{}>"  # T5's span-corruption sentinels: <extra_id_0>, <extra_id_1>, ...

_TOKENIZER_TYPES = {}  # the "type" key of to_dict() -> tokenizer class, filled by __init_subclass__


def check_corpus(texts):
    """Return the training corpus as a list of str (a single str counts as one text); reject bad input."""
    if isinstance(texts, str):
        texts = [texts]
    elif isinstance(texts, (bytes, bytearray)) or not hasattr(texts, "__iter__"):
        raise TypeError(f"texts must be a str or an iterable of str, got {type(texts).__name__}")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{i}] must be a str, got {type(text).__name__}")
    if not any(texts):
        raise ValueError(f"cannot train a tokenizer on an empty corpus (got {len(texts)} texts, all empty)")
    return texts


def special_token_pattern(tokens):
    """A compiled pattern matching any of `tokens` (longest first), or None for no tokens."""
    longest_first = sorted(tokens, key=lambda t: (-len(t), t))
    return re.compile("|".join(map(re.escape, longest_first))) if longest_first else None


def tokenizer_from_dict(d):
    """Rebuild a tokenizer of any kind from the dict that its `to_dict()` returned.

    The dict usually comes from a file (a checkpoint, tokenizer.json), so anything malformed in it (not a
    dict, an unknown type, missing keys, values of the wrong type) is one ValueError saying what."""
    if not isinstance(d, dict):
        raise ValueError(f"a tokenizer dict must be a dict, got {type(d).__name__}")
    kind = d.get("type")
    if not isinstance(kind, str) or kind not in _TOKENIZER_TYPES:
        raise ValueError(f"tokenizer dict 'type' must be one of {sorted(_TOKENIZER_TYPES)}, got {kind!r}")
    try:
        return _TOKENIZER_TYPES[kind].from_dict(d)
    except TypeError as e:             # e.g. a vocab that is not a list, roles that are not a dict
        raise ValueError(f"malformed {kind} tokenizer dict: {e}") from None


class Tokenizer:
    """Base class: a vocabulary, special tokens and the encode/decode/save/load interface.

    Subclasses set `type_name`, implement `_encode_piece(text) -> list[int]` (text without special
    tokens), `_decode_tokens(tokens) -> str`, `train(...)` (a classmethod) and `from_dict(d)`.
    """

    type_name = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.type_name is not None:
            _TOKENIZER_TYPES[cls.type_name] = cls

    def __init__(self, vocab, special_tokens=(), roles=None):
        if isinstance(vocab, str) or not isinstance(vocab, (list, tuple)):
            raise TypeError(f"vocab must be a list of token strings, got {type(vocab).__name__}")
        self._id_to_token = []
        self._token_to_id = {}
        for i, token in enumerate(vocab):
            if not isinstance(token, str) or token == "":
                raise ValueError(f"vocab[{i}] must be a non-empty str, got {token!r}")
            if token in self._token_to_id:
                raise ValueError(f"vocab has {token!r} twice: at ids {self._token_to_id[token]} and {i}")
            self._token_to_id[token] = i
            self._id_to_token.append(token)
        if roles is not None and not isinstance(roles, dict):
            raise TypeError(f"roles must be a dict role -> special token, got {type(roles).__name__}")
        self._special_tokens = []
        self._roles = {}
        self._special_pattern = None
        self.add_special_tokens(special_tokens)
        self.add_special_tokens(roles or {})

    # ---- vocabulary -------------------------------------------------------------------------
    @property
    def vocab_size(self):
        """Number of tokens (ids run from 0 to vocab_size - 1)."""
        return len(self._id_to_token)

    def __len__(self):
        return self.vocab_size

    def __contains__(self, token):
        return token in self._token_to_id

    def get_vocab(self):
        """A copy of the vocabulary as a dict token -> id."""
        return dict(self._token_to_id)

    def token_to_id(self, token):
        """The id of `token`; ValueError if it is not in the vocabulary."""
        if not isinstance(token, str):
            raise TypeError(f"token must be a str, got {type(token).__name__}")
        if token not in self._token_to_id:
            raise ValueError(f"token {token!r} is not in the vocabulary of {self.vocab_size} tokens")
        return self._token_to_id[token]

    def id_to_token(self, token_id):
        """The token string of `token_id`; ValueError if outside [0, vocab_size)."""
        return self._id_to_token[self._check_id(token_id)]

    def tokenize(self, text):
        """The token strings that `encode(text)` would give ids for."""
        return [self._id_to_token[i] for i in self.encode(text)]

    # ---- special tokens ---------------------------------------------------------------------
    @property
    def special_tokens(self):
        """The special tokens, in the order they were added."""
        return list(self._special_tokens)

    @property
    def special_ids(self):
        """The ids of the special tokens, in the same order as `special_tokens`."""
        return [self._token_to_id[t] for t in self._special_tokens]

    @property
    def roles(self):
        """A copy of the role -> special token map, e.g. {"pad": "[PAD]", "unk": "[UNK]"}."""
        return dict(self._roles)

    def _role_id(self, role):
        token = self._roles.get(role)
        return None if token is None else self._token_to_id[token]

    def role_id(self, role):
        """The id of the special token playing `role` (e.g. "pad"); ValueError if none does."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {role!r}")
        if role not in self._roles:
            raise ValueError(f"this {type(self).__name__} has no {role} token; add one with "
                             f"add_special_tokens({{{role!r}: ...}})")
        return self._role_id(role)

    pad_id = property(lambda self: self._role_id("pad"), doc="id of the padding token, or None")
    unk_id = property(lambda self: self._role_id("unk"), doc="id of the unknown token, or None")
    bos_id = property(lambda self: self._role_id("bos"), doc="id of the begin-of-text token, or None")
    eos_id = property(lambda self: self._role_id("eos"), doc="id of the end-of-text token, or None")
    cls_id = property(lambda self: self._role_id("cls"), doc="id of [CLS], or None")
    sep_id = property(lambda self: self._role_id("sep"), doc="id of [SEP], or None")
    mask_id = property(lambda self: self._role_id("mask"), doc="id of [MASK], or None")

    def add_special_tokens(self, tokens):
        """Add special tokens; return their ids.

        `tokens` is a list of strings, or a dict role -> string (roles: pad, unk, bos, eos, cls, sep,
        mask) that also names the token's role. New tokens get the next free ids; a token already in
        the vocabulary keeps its id and becomes special.
        """
        if isinstance(tokens, dict):
            items = list(tokens.items())
        elif isinstance(tokens, (list, tuple)):
            items = [(None, t) for t in tokens]
        else:
            raise TypeError(f"tokens must be a list of str or a dict role -> str, "
                            f"got {type(tokens).__name__}")
        ids = []
        for role, token in items:
            if role is not None and role not in ROLES:
                raise ValueError(f"special token role must be one of {ROLES}, got {role!r}")
            if not isinstance(token, str) or token == "":
                raise ValueError(f"a special token must be a non-empty str, got {token!r}")
            if token not in self._token_to_id:
                self._token_to_id[token] = len(self._id_to_token)
                self._id_to_token.append(token)
            if token not in self._special_tokens:
                self._special_tokens.append(token)
            if role is not None:
                self._roles[role] = token
            ids.append(self._token_to_id[token])
        self._special_pattern = special_token_pattern(self._special_tokens)
        self._vocab_changed()
        return ids

    def _vocab_changed(self):
        """Hook for subclasses that cache encodings: called whenever tokens are added."""

    def add_sentinels(self, n):
        """Add T5's sentinel tokens <extra_id_0> ... <extra_id_{n-1}> as special tokens; return their ids."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be a non-negative int, got {n!r}")
        return self.add_special_tokens([SENTINEL_FORMAT.format(i) for i in range(int(n))])

    @property
    def num_sentinels(self):
        """How many sentinels <extra_id_0>, <extra_id_1>, ... (without gaps) the vocabulary holds."""
        n = 0
        while SENTINEL_FORMAT.format(n) in self._token_to_id:
            n += 1
        return n

    def sentinel_id(self, i):
        """The id of the sentinel <extra_id_{i}>; ValueError if it was not added."""
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"sentinel index must be an int, got {type(i).__name__}")
        token = SENTINEL_FORMAT.format(int(i))
        if i < 0 or token not in self._token_to_id:
            raise ValueError(f"no sentinel {token}: this tokenizer has {self.num_sentinels} sentinels "
                             f"(add_sentinels(n) adds them)")
        return self._token_to_id[token]

    def _split_on_special_tokens(self, text):
        """Split `text` into (start, piece, is_special) triples; special tokens are matched longest first."""
        if self._special_pattern is None:
            return [(0, text, False)] if text else []
        pieces, position = [], 0
        for match in self._special_pattern.finditer(text):
            if match.start() > position:
                pieces.append((position, text[position:match.start()], False))
            pieces.append((match.start(), match.group(), True))
            position = match.end()
        if position < len(text):
            pieces.append((position, text[position:], False))
        return pieces

    # ---- encode / decode --------------------------------------------------------------------
    def encode(self, text):
        """Token ids of `text` (a str); special tokens written in the text become their ids."""
        check_text(text)
        ids = []
        for _, piece, is_special in self._split_on_special_tokens(text):
            if is_special:
                ids.append(self._token_to_id[piece])
            else:
                ids.extend(self._encode_piece(piece))
        return ids

    def encode_batch(self, texts, **kwargs):
        """`encode` applied to each text of a list; keyword arguments are passed on to `encode`."""
        if isinstance(texts, str) or not isinstance(texts, (list, tuple)):
            raise TypeError(f"texts must be a list of str, got {type(texts).__name__}")
        return [self.encode(text, **kwargs) for text in texts]

    def decode(self, ids, skip_special_tokens=False):
        """The text of a sequence of ids (list, tuple or 1-D integer array)."""
        tokens = [self._id_to_token[i] for i in self._check_ids(ids)]
        if skip_special_tokens:
            tokens = [t for t in tokens if t not in self._special_tokens]
        return self._decode_tokens(tokens)

    def _check_id(self, token_id):
        if isinstance(token_id, bool) or not isinstance(token_id, (int, np.integer)):
            raise TypeError(f"a token id must be an int, got {type(token_id).__name__}")
        if not 0 <= token_id < self.vocab_size:
            raise ValueError(f"token id must lie in [0, {self.vocab_size}), got {token_id}")
        return int(token_id)

    def _check_ids(self, ids):
        if isinstance(ids, np.ndarray):
            if ids.ndim != 1 or ids.dtype.kind not in "iu":
                raise TypeError(f"ids must be a 1-D integer array, got shape {ids.shape} dtype {ids.dtype}")
            ids = ids.tolist()
        elif not isinstance(ids, (list, tuple)):
            raise TypeError(f"ids must be a list, tuple or 1-D integer array, got {type(ids).__name__}")
        return [self._check_id(i) for i in ids]

    # ---- dict and files ---------------------------------------------------------------------
    def to_dict(self):
        """A JSON-serialisable dict holding everything needed to rebuild this tokenizer."""
        return {"type": self.type_name, "vocab": list(self._id_to_token),
                "special_tokens": list(self._special_tokens), "roles": dict(self._roles)}

    @classmethod
    def _check_dict(cls, d, keys):
        """Raise unless `d` is a dict of this tokenizer's type holding all `keys`."""
        if not isinstance(d, dict):
            raise TypeError(f"{cls.__name__}.from_dict expects a dict, got {type(d).__name__}")
        if d.get("type") != cls.type_name:
            raise ValueError(f"{cls.__name__}.from_dict expects type {cls.type_name!r}, "
                             f"got {d.get('type')!r}")
        missing = [k for k in keys if k not in d]
        if missing:
            raise ValueError(f"{cls.__name__} dict is missing keys {missing}")

    def save(self, path):
        """Save to `path` atomically and return the path of the file written.

        A path ending in .json gets the whole tokenizer as JSON (to_dict()); subclasses add the
        standard file layouts of their kind for other paths (see their `save`).
        """
        path = check_path(path)
        if path.endswith(".json"):
            atomic_write_json(path, self.to_dict())
            return path
        if is_directory_path(path):
            return self.save(os.path.join(path, "tokenizer.json"))
        raise ValueError(f"{type(self).__name__}.save expects a .json file or a directory, got {path!r}")

    @classmethod
    def load(cls, path, **kwargs):
        """Load a tokenizer saved by `save` (a .json file, or a directory holding tokenizer.json)."""
        path = check_path(path)
        if os.path.isdir(path) and os.path.isfile(os.path.join(path, "tokenizer.json")):
            path = os.path.join(path, "tokenizer.json")
        if path.endswith(".json"):
            data = read_json(path)
            if isinstance(data, dict) and isinstance(data.get("type"), str):
                if kwargs:
                    raise TypeError(f"{path!r} stores all settings; got extra arguments {sorted(kwargs)}")
                tokenizer = tokenizer_from_dict(data)
                if not isinstance(tokenizer, cls):
                    raise ValueError(f"{path!r} holds a {type(tokenizer).__name__}, not a {cls.__name__}")
                return tokenizer
        return cls._load_other_format(path, **kwargs)

    @classmethod
    def _load_other_format(cls, path, **kwargs):
        """Hook for subclasses that read standard file layouts (vocab.txt, vocab.json + merges.txt)."""
        if not os.path.exists(path):
            raise FileNotFoundError(f"tokenizer file not found: {path!r}")
        raise ValueError(f"{path!r} is not a minitrans tokenizer file (a .json written by save())")

    def __repr__(self):
        return f"{type(self).__name__}(vocab_size={self.vocab_size}, special_tokens={self._special_tokens})"


def check_text(text):
    """Raise TypeError unless `text` is a str."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
