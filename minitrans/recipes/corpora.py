"""Turn a corpus name ('toyworld', 'shakespeare') or a file path into text."""
from pathlib import Path

from ..data.corpus import prepare_shakespeare, read_text_corpus
from ..data.toyworld import corpus_to_text, load_corpus

SHAKESPEARE_CACHE = Path("runs") / "data" / "shakespeare.txt"


def load_corpus_text(corpus):
    """'toyworld': the toy world's documents as text (data/corpus.txt);
    'shakespeare': the works from the `shakespeare` package, prepared once into runs/data/;
    anything else: the path of a UTF-8 text file."""
    if corpus == "toyworld":
        return corpus_to_text(load_corpus())
    if corpus == "shakespeare":
        if not SHAKESPEARE_CACHE.exists():
            prepare_shakespeare(SHAKESPEARE_CACHE)
        return read_text_corpus(SHAKESPEARE_CACHE)
    return read_text_corpus(corpus)
