"""Tests for minitrans.tokenizers: known answers, round trips, files, and clear errors on bad input."""
import json
import os

import numpy as np
import pytest

from minitrans.tokenizers import ByteLevelBPETokenizer, CharTokenizer, WordPieceTokenizer, tokenizer_from_dict
from minitrans.tokenizers import files as tokenizer_files
from minitrans.tokenizers.byte_level import BYTE_TO_CHAR, pretokenize

ODD_TEXTS = [
    "", " ", "   ", "\t", "\r\n", "a\r\nb\n\n", "\x00", "a\x00b", "héllo wörld", "e\u0301",  # combining mark
    "🙂", "👍🏽", "👨\u200d👩\u200d👧", "中文字符 和 日本語", "עברית مرحبا", "\ufeffBOM", "a\u200bb",
    "\u2028\u2029", "<|endoftext|>", "x<|endoftext|>y", "\U0010ffff", "ΟΔΟΣ", "İstanbul", "'s 's 'll",
    "  leading and trailing  ",
    "x²½Ⅻ", "tab\tsep", "\x1c\x1f\x7f\x85",
]


def random_unicode_texts(n, seed=0):
    """Seeded random strings over the whole code space (no surrogates), plus ASCII-heavy ones."""
    rng = np.random.default_rng(seed)
    texts = []
    for _ in range(n):
        codes = rng.integers(0, 0x110000, size=rng.integers(0, 30))
        codes = [c if not 0xD800 <= c < 0xE000 else 0x41 for c in codes.tolist()]
        ascii_codes = rng.integers(0, 128, size=rng.integers(0, 30)).tolist()
        texts.append("".join(map(chr, codes)) + " " + "".join(map(chr, ascii_codes)))
    return texts


def assert_no_temp_files(directory):
    assert [f for f in os.listdir(directory) if f.startswith(".tmp-")] == []


# ---- character level --------------------------------------------------------------------------
def test_char_vocab_is_sorted_characters():
    tok = CharTokenizer.train("hello world")
    assert tok.get_vocab() == {c: i for i, c in enumerate(sorted(set("hello world")))}
    assert tok.encode("hello") == [3, 2, 4, 4, 5]  # sorted: ' ', d, e, h, l, o, r, w
    assert tok.decode(tok.encode("low")) == "low"
    assert tok.vocab_size == 8 and tok.special_tokens == [] and tok.pad_id is None


def test_char_round_trip_odd_unicode():
    tok = CharTokenizer.train(ODD_TEXTS + random_unicode_texts(50))
    for text in ODD_TEXTS + random_unicode_texts(50):
        assert tok.decode(tok.encode(text)) == text


def test_char_unknown_character_raises_or_maps_to_unk():
    with pytest.raises(ValueError, match="'z'.*position 2"):
        CharTokenizer.train("abc").encode("abz")
    tok = CharTokenizer.train("abc", unk_token="<unk>", pad_token="<pad>")
    assert tok.pad_id == 0 and tok.unk_id == 1 and tok.encode("az") == [2, 1]
    assert tok.decode(tok.encode("az")) == "a<unk>"


def test_char_special_tokens_and_sentinels_encode_as_one_id():
    tok = CharTokenizer.train("abc<>", special_tokens=["<eos>"])
    assert tok.token_to_id("<eos>") == 0
    sentinel_ids = tok.add_sentinels(2)
    assert sentinel_ids == [tok.vocab_size - 2, tok.vocab_size - 1]
    assert sentinel_ids == [tok.sentinel_id(0), tok.sentinel_id(1)]
    ids = tok.encode("a<extra_id_1>b<eos><")
    assert ids == [tok.token_to_id("a"), tok.sentinel_id(1), tok.token_to_id("b"), 0, tok.token_to_id("<")]
    assert tok.decode(ids) == "a<extra_id_1>b<eos><"
    assert tok.decode(ids, skip_special_tokens=True) == "ab<"
    assert tok.num_sentinels == 2


def test_char_vocab_size_limits():
    assert CharTokenizer.train("abc", vocab_size=10).vocab_size == 3
    with pytest.raises(ValueError, match="smaller than the alphabet"):
        CharTokenizer.train("abcd", vocab_size=3)


# ---- WordPiece --------------------------------------------------------------------------------
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
TOY_VOCAB = SPECIALS + ["want", "##want", "##ed", "wa", "un", "runn", "##ing", ",", "low", "lowest",
                        "##aff", "##able", "a", "##a", "b", "c", "d", "e", "f", "g", "h", ".", "is", "the"]


def toy():
    return WordPieceTokenizer(TOY_VOCAB, lowercase=True)


def test_wordpiece_greedy_longest_match():
    tok = toy()
    assert tok.tokenize("unaffable") == ["un", "##aff", "##able"]
    assert tok.tokenize("UNwant\u00e9d,running") == ["un", "##want", "##ed", ",", "runn", "##ing"]
    assert tok.tokenize("unwantedX lowest") == ["[UNK]", "lowest"]  # no piece for "##x": the word is [UNK]
    assert tok.encode("unwanted") == [9, 6, 7]  # ids are positions in the vocabulary
    assert (tok.pad_id, tok.unk_id, tok.cls_id, tok.sep_id, tok.mask_id) == (0, 1, 2, 3, 4)


def test_wordpiece_over_long_word_is_unk():
    tok = toy()
    assert tok.tokenize("a" * 100) == ["a"] + ["##a"] * 99
    assert tok.tokenize("a" * 101) == ["[UNK]"]
    short = WordPieceTokenizer(TOY_VOCAB, max_input_chars_per_word=3)
    assert short.tokenize("aaaa aaa") == ["[UNK]", "a", "##a", "##a"]


def test_basic_tokenization():
    lower, cased = toy(), WordPieceTokenizer(TOY_VOCAB, lowercase=False)
    assert lower.basic_tokenize(" \tHeLLo!how  \n Are yoU?  ") == ["hello", "!", "how", "are", "you", "?"]
    assert cased.basic_tokenize(" \tHeLLo!how  \n Are yoU?  ") == ["HeLLo", "!", "how", "Are", "yoU", "?"]
    assert lower.basic_tokenize("H\u00e9llo Cafe\u0301") == ["hello", "cafe"]  # accents stripped
    keep_accents = WordPieceTokenizer(TOY_VOCAB, lowercase=True, strip_accents=False)
    assert keep_accents.basic_tokenize("Héllo") == ["héllo"]
    strip_only = WordPieceTokenizer(TOY_VOCAB, lowercase=False, strip_accents=True)
    assert strip_only.basic_tokenize("Héllo") == ["Hello"]
    assert lower.basic_tokenize("ah\u535a\u63a8zz") == ["ah", "\u535a", "\u63a8", "zz"]  # CJK: one word each
    assert lower.basic_tokenize("a\x00b\u200bc\x1cd\ufffde") == ["abcde"]  # control characters dropped
    assert lower.basic_tokenize("a\u2028b\u00a0c") == ["a", "b", "c"]  # Unicode whitespace splits
    assert lower.basic_tokenize("$5.00 (U.S.)") == ["$", "5", ".", "00", "(", "u", ".", "s", ".", ")"]
    assert lower.basic_tokenize("ΟΔΟΣ") == ["οδος"]  # the whole word is lower-cased: final sigma


def test_wordpiece_special_tokens_in_text():
    tok = toy()
    ids = tok.encode("[MASK] is the capital of X.")
    assert ids[:3] == [tok.mask_id, tok.token_to_id("is"), tok.token_to_id("the")]
    assert tok.encode("[CLS]a[SEP]") == [2, tok.token_to_id("a"), 3]
    assert tok.encode("a", add_special_tokens=True) == [2, tok.token_to_id("a"), 3]
    tok.add_sentinels(2)
    assert tok.encode("a <extra_id_1> b") == [tok.token_to_id("a"), tok.sentinel_id(1), tok.token_to_id("b")]
    assert tok.decode(tok.encode("[CLS] want unwanted [SEP]")) == "[CLS] want unwanted [SEP]"
    assert tok.decode(tok.encode("[CLS] want [SEP]"), skip_special_tokens=True) == "want"


def test_encode_pair_and_single_truncate():
    tok = toy()
    ids, segments = tok.encode_pair("a b c d e", "f g h", max_length=9)  # 5 + 3 tokens, room for 6
    assert tok.decode(ids) == "[CLS] a b c [SEP] f g h [SEP]"  # a was longer: lost 2 tokens
    assert segments == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    ids, segments = tok.encode_pair("a b c d e", "f g h", max_length=8)  # room for 5: a->4, a->3, tie: b->2
    assert tok.decode(ids) == "[CLS] a b c [SEP] f g [SEP]" and segments == [0] * 5 + [1] * 3
    ids, segments = tok.encode_pair("a b", "c")
    assert tok.decode(ids) == "[CLS] a b [SEP] c [SEP]" and segments == [0, 0, 0, 0, 1, 1]
    ids, segments = tok.encode_single("a b c d", max_length=4)
    assert tok.decode(ids) == "[CLS] a b [SEP]" and segments == [0, 0, 0, 0]
    assert tok.encode_pair([12], [13])[0] == [2, 12, 3, 13, 3]  # ids work as well as texts
    with pytest.raises(ValueError, match="at least 3"):
        tok.encode_pair("a", "b", max_length=2)


def test_encode_with_offsets_points_at_the_source_text():
    tok = toy()
    text = "  Want, UNWANTED lowest.  Running!"
    ids, offsets = tok.encode_with_offsets(text)
    assert ids == tok.encode(text)
    pieces = [text[s:e].lower() for s, e in offsets]
    assert pieces == ["want", ",", "un", "want", "ed", "lowest", ".", "runn", "ing", "!"]
    ids, offsets = tok.encode_with_offsets("Wäntéd [MASK]", add_special_tokens=True)
    assert offsets == [(0, 0), (0, 4), (4, 6), (7, 13), (0, 0)]  # "Wänt" "éd" "[MASK]": accents kept in spans


def test_encode_words_aligns_pieces_with_words():
    tok = toy()
    ids, word_index = tok.encode_words(["Unwanted", "running", ",", "a.b"], add_special_tokens=True)
    assert [tok.id_to_token(i) for i in ids] == ["[CLS]", "un", "##want", "##ed", "runn", "##ing", ",",
                                                  "a", ".", "b", "[SEP]"]
    assert word_index == [-1, 0, 0, 0, 1, 1, 2, 3, 3, 3, -1]


def test_wordpiece_training_known_merges_frequency():
    # words: aab x2, ab x1 -> pieces a ##a ##b (x2), a ##b (x1)
    # pair counts: (a,##a)=2, (##a,##b)=2, (a,##b)=1; tie -> alphabetically smaller ("##a","##b") -> "##ab"
    # then (a,##ab)=2 -> "aab"; then (a,##b)=1 is below min_frequency=2: stop.
    tok = WordPieceTokenizer.train(["aab aab ab"], vocab_size=100)
    assert tok.id_to_token(0) == "[PAD]" and tok.special_tokens == SPECIALS
    assert [tok.id_to_token(i) for i in range(5, tok.vocab_size)] == ["a", "b", "##a", "##b", "##ab", "aab"]
    # greedy longest match first: "aaab" starts with "a" (not "aab"), then "##a", then "##ab"
    assert tok.tokenize("aab ab aaab") == ["aab", "a", "##b", "a", "##a", "##ab"]


def test_wordpiece_training_likelihood_prefers_pieces_that_rarely_occur_apart():
    # counts: xy x2, ab x4, ac x4. Frequency picks (a,##b) (4, tie with (a,##c) broken alphabetically);
    # likelihood = count(pair) / (count(left) * count(right)): xy 2/(2*2)=0.5, ab 4/(8*4)=0.125 -> "xy" first.
    # 5 specials + 10 alphabet pieces (a b c x y, ##a ##b ##c ##x ##y) = 15: vocab_size 16 leaves one merge.
    corpus = ["xy xy ab ab ab ab ac ac ac ac"]
    frequency = WordPieceTokenizer.train(corpus, vocab_size=16, score="frequency")
    likelihood = WordPieceTokenizer.train(corpus, vocab_size=16, score="likelihood")
    assert frequency.vocab_size == likelihood.vocab_size == 16
    assert frequency.id_to_token(15) == "ab" and likelihood.id_to_token(15) == "xy"
    with pytest.raises(ValueError, match="score"):
        WordPieceTokenizer.train(corpus, vocab_size=100, score="best")


def test_wordpiece_trained_round_trip_has_no_unk():
    corpus = ODD_TEXTS + ["The quick brown fox jumps over the lazy dog. Ünïcödé, 中文 and emoji 🙂!"] * 3
    tok = WordPieceTokenizer.train(corpus, vocab_size=300)
    assert tok.vocab_size <= 300
    again = WordPieceTokenizer.train(corpus, vocab_size=300)
    assert again.to_dict() == tok.to_dict()  # deterministic
    for text in corpus:
        ids = tok.encode(text)
        assert tok.unk_id not in ids
        assert tok.decode(ids) == " ".join(tok.basic_tokenize(text))


def test_wordpiece_vocab_txt_round_trip(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("".join(t + "\n" for t in TOY_VOCAB), encoding="utf-8")
    tok = WordPieceTokenizer.load(str(path), lowercase=True)
    assert tok.get_vocab() == {t: i for i, t in enumerate(TOY_VOCAB)}  # ids are line numbers
    assert tok.tokenize("Unaffable") == ["un", "##aff", "##able"]
    assert not WordPieceTokenizer.load(path, lowercase=False).basic.lowercase
    out = tok.save(tmp_path / "saved")
    assert out.endswith("vocab.txt")
    assert open(out, encoding="utf-8").read() == path.read_text(encoding="utf-8")
    assert WordPieceTokenizer.load(tmp_path / "saved").get_vocab() == tok.get_vocab()
    assert_no_temp_files(tmp_path / "saved")


def test_wordpiece_published_bert_layout_keeps_line_number_ids(tmp_path):
    # BERT's published vocabularies start: [PAD], [unused0] .. [unused98], [UNK]=100, [CLS], [SEP], [MASK]
    lines = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]", "the",
                                                                "capital", "of", "france", "is", "."]
    (tmp_path / "vocab.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    tok = WordPieceTokenizer.load(tmp_path, lowercase=True)  # a directory holding vocab.txt works too
    assert (tok.pad_id, tok.unk_id, tok.cls_id, tok.sep_id, tok.mask_id) == (0, 100, 101, 102, 103)
    assert tok.special_tokens == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    ids, segments = tok.encode_pair("[MASK] is the capital of France.", "Paris")
    assert ids == [101, 103, 108, 104, 105, 106, 107, 109, 102, 100, 102]
    assert segments == [0] * 9 + [1] * 2


# ---- byte-level BPE ---------------------------------------------------------------------------
def test_bpe_known_merges_on_toy_corpus():
    # "aaabdaaabac" is one pre-token. Adjacent pairs are counted with overlaps: aa=4, ab=2, others 1.
    # 1) (a,a) -> a a a b d a a a b a c becomes [aa a b d aa a b a c]: pairs (aa,a)=2 (a,b)=2, others 1
    # 2) tie at 2: ("a","b") < ("aa","a") alphabetically -> "ab": [aa ab d aa ab a c]
    # 3) (aa,ab)=2 -> "aaab"; then every pair is seen once (< min_frequency=2): stop.
    tok = ByteLevelBPETokenizer.train("aaabdaaabac", vocab_size=1000)
    assert tok.merges == [("a", "a"), ("a", "b"), ("aa", "ab")]
    assert tok.vocab_size == 256 + 3 + 1 and tok.eos_id == tok.bos_id == 259
    assert [tok.id_to_token(i) for i in range(256, 260)] == ["aa", "ab", "aaab", "<|endoftext|>"]
    assert tok.encode("aaab") == [258] and tok.encode("b") == [ord("b")]  # token id b is byte b


def test_bpe_merges_respect_word_boundaries_and_spaces():
    # pre-tokens: "hug", " hug", " hug", " pug" -> symbols h u g | Ġ h u g (x2) | Ġ p u g   (Ġ = space)
    # (u,g)=4 -> "ug"; (h,ug)=3 -> "hug"; (Ġ,hug)=2 -> "Ġhug"; then only counts of 1 remain.
    tok = ByteLevelBPETokenizer.train(["hug hug hug pug"], vocab_size=1000)
    assert tok.merges == [("u", "g"), ("h", "ug"), ("Ġ", "hug")]
    steps = tok.explain(" hug")
    assert [s["symbols"] for s in steps] == [["Ġ", "h", "u", "g"], ["Ġ", "h", "ug"], ["Ġ", "hug"], ["Ġhug"]]
    assert [s["rank"] for s in steps] == [None, 0, 1, 2]
    assert tok.tokenize("hug pug") == ["hug", "Ġ", "p", "ug"]
    with pytest.raises(ValueError, match="one pre-tokenized word"):
        tok.explain("hug hug")


def test_bpe_vocab_size_stops_training():
    tok = ByteLevelBPETokenizer.train(["hug hug hug pug"], vocab_size=258)
    assert tok.merges == [("u", "g")] and tok.vocab_size == 258


def test_pretokenize_splits_like_gpt2():
    assert pretokenize("Hello world's 123  abc\n") == ["Hello", " world", "'s", " 123", " ", " abc", "\n"]
    assert pretokenize("x²½ Ⅻ_!?") == ["x", "²½", " Ⅻ", "_!?"]  # other numbers count as numbers
    assert pretokenize("a\x1cb") == ["a", "\x1c", "b"]  # U+001C is not whitespace here
    assert len(set(BYTE_TO_CHAR.values())) == 256 and BYTE_TO_CHAR[32] == "Ġ" and BYTE_TO_CHAR[65] == "A"


def test_bpe_round_trip_every_string():
    corpus = ODD_TEXTS * 3 + ["the cat sat on the mat; the dog sat on the log"] * 5
    tok = ByteLevelBPETokenizer.train(corpus, vocab_size=400)
    for text in ODD_TEXTS + random_unicode_texts(300):
        assert tok.decode(tok.encode(text)) == text
    assert tok.encode("x<|endoftext|>y") == [ord("x"), tok.eos_id, ord("y")]
    # ids 0..255 are the bytes; two of the four bytes of "🚀" decode to U+FFFD, not to an exception
    assert tok.decode(list("🚀".encode("utf-8"))) == "🚀" and tok.decode([0xF0, 0x9F]) == "\ufffd"
    with pytest.raises(ValueError, match="surrogate"):
        tok.encode("a\ud800b")


def test_bpe_save_load_standard_files_and_json(tmp_path):
    tok = ByteLevelBPETokenizer.train(["the cat sat on the mat. " * 20, "a dog!"], vocab_size=300)
    tok.add_sentinels(3)
    text = "the mat <extra_id_2> a <|endoftext|> dog"
    directory = tok.save(tmp_path / "gpt")
    assert sorted(os.listdir(directory)) == ["merges.txt", "vocab.json"]
    merges_lines = open(os.path.join(directory, "merges.txt"), encoding="utf-8").read().splitlines()
    assert merges_lines[0] == "#version: 0.2" and merges_lines[1] == " ".join(tok.merges[0])
    assert json.load(open(os.path.join(directory, "vocab.json"), encoding="utf-8")) == tok.get_vocab()
    for path in (directory, tmp_path / "gpt" / "vocab.json", tok.save(tmp_path / "bpe.json")):
        loaded = ByteLevelBPETokenizer.load(path)
        assert loaded.encode(text) == tok.encode(text) and loaded.merges == tok.merges
        assert loaded.sentinel_id(2) == tok.sentinel_id(2) and loaded.eos_id == tok.eos_id
    assert_no_temp_files(tmp_path)


# ---- shared interface -------------------------------------------------------------------------
def make_all():
    text = "Hello there, General Kenobi! héllo 中文 🙂 " * 4
    return [CharTokenizer.train(text, pad_token="<pad>"), WordPieceTokenizer.train(text, vocab_size=120),
            ByteLevelBPETokenizer.train(text, vocab_size=300)]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_to_dict_and_save_load_round_trip(tmp_path, index):
    tok = make_all()[index]
    tok.add_sentinels(2)
    tok.add_special_tokens({"mask": "<my_mask>"})
    d = json.loads(json.dumps(tok.to_dict()))
    assert isinstance(d["type"], str)
    rebuilt = tokenizer_from_dict(d)
    assert type(rebuilt) is type(tok) and rebuilt.to_dict() == tok.to_dict()
    loaded = type(tok).load(tok.save(tmp_path / "tok.json"))
    assert loaded.to_dict() == tok.to_dict()
    text = "Hello <extra_id_1> there <my_mask>"
    assert loaded.encode(text) == tok.encode(text) and loaded.mask_id == tok.mask_id == tok.vocab_size - 1
    assert tok.encode_batch([text, "Hello"]) == [tok.encode(text), tok.encode("Hello")]
    assert tok.decode(np.array(tok.encode(text))) == tok.decode(tok.encode(text))
    assert_no_temp_files(tmp_path)


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "tok.json"
    CharTokenizer.train("abc").save(path)
    before = path.read_text(encoding="utf-8")

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(tokenizer_files.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        CharTokenizer.train("xyz").save(path)
    assert path.read_text(encoding="utf-8") == before
    assert_no_temp_files(tmp_path)


@pytest.mark.parametrize("cls", [CharTokenizer, WordPieceTokenizer, ByteLevelBPETokenizer])
def test_bad_input_gives_clear_errors(tmp_path, cls):
    with pytest.raises(ValueError, match="empty corpus"):
        cls.train([], vocab_size=1000)
    with pytest.raises(ValueError, match="empty corpus"):
        cls.train(["", ""], vocab_size=1000)
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str, got int"):
        cls.train(["abc", 5], vocab_size=1000)
    with pytest.raises(TypeError, match="texts must be a str or an iterable of str, got int"):
        cls.train(42, vocab_size=1000)
    with pytest.raises(ValueError, match="smaller than the alphabet"):
        cls.train("abcdefghij", vocab_size=4)
    with pytest.raises(FileNotFoundError, match="not found"):
        cls.load(tmp_path / "missing.json")
    tok = make_all()[[CharTokenizer, WordPieceTokenizer, ByteLevelBPETokenizer].index(cls)]
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        tok.encode(b"abc")
    with pytest.raises(TypeError, match="ids must be a list"):
        tok.decode("abc")
    with pytest.raises(ValueError, match=r"token id must lie in \[0, "):
        tok.decode([tok.vocab_size])
    with pytest.raises(TypeError, match="a token id must be an int, got float"):
        tok.decode([1.0])
    with pytest.raises(ValueError, match="not in the vocabulary"):
        tok.token_to_id("no such token")
    with pytest.raises(ValueError, match="no sentinel <extra_id_0>: this tokenizer has 0 sentinels"):
        tok.sentinel_id(0)
    with pytest.raises(TypeError, match="texts must be a list of str"):
        tok.encode_batch("abc")


def test_wrong_kind_and_bad_files(tmp_path):
    with pytest.raises(ValueError, match="'type' must be one of"):
        tokenizer_from_dict({"type": "sentencepiece"})
    path = CharTokenizer.train("abc").save(tmp_path / "char.json")
    with pytest.raises(ValueError, match="holds a CharTokenizer, not a WordPieceTokenizer"):
        WordPieceTokenizer.load(path)
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        CharTokenizer.load(tmp_path / "broken.json")
    with pytest.raises(FileNotFoundError):
        WordPieceTokenizer.load(tmp_path / "nowhere" / "vocab.txt")
    with pytest.raises(ValueError, match="must contain '\\[UNK\\]'"):
        WordPieceTokenizer(["a", "b"])
    with pytest.raises(ValueError, match="all 256 byte symbols"):
        ByteLevelBPETokenizer(["a"], [])
    with pytest.raises(ValueError, match="no cls token"):
        WordPieceTokenizer(["[UNK]", "a"]).encode("a", add_special_tokens=True)
