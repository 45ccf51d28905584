"""Turn a corpus name ('toyworld', 'shakespeare') or a file path into text."""
from functools import lru_cache
from pathlib import Path

from ..data.corpus import prepare_shakespeare, read_text_corpus
from ..data.toyworld import corpus_to_lines, load_corpus
from ..tokenizers import tokenizer_from_dict

SHAKESPEARE_CACHE = Path("runs") / "data" / "shakespeare.txt"


def load_corpus_text(corpus):
    """'toyworld': the toy world's documents (data/corpus.txt), one a line (corpus_to_lines);
    'shakespeare': the works from the `shakespeare` package, prepared once into runs/data/;
    anything else: the path of a UTF-8 text file."""
    if corpus == "toyworld":
        return corpus_to_lines(load_corpus())
    if corpus == "shakespeare":
        if not SHAKESPEARE_CACHE.exists():
            prepare_shakespeare(SHAKESPEARE_CACHE)
        return read_text_corpus(SHAKESPEARE_CACHE)
    return read_text_corpus(corpus)


def toyworld_tokenizer(train, vocab_size):
    """A fresh copy of train(toy-world text, vocab_size), a tokenizer trained once per process and
    function: finetuning from scratch many times does not train the same vocabulary again (a copy,
    because finetuning may add special tokens to its tokenizer)."""
    return tokenizer_from_dict(_toyworld_tokenizer_dict(train, vocab_size))


@lru_cache(maxsize=8)
def _toyworld_tokenizer_dict(train, vocab_size):
    return train(load_corpus_text("toyworld"), vocab_size).to_dict()
