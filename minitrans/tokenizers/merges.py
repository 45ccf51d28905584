"""Learning merges over a bag of words: the training loop shared by byte-level BPE and WordPiece.

Each distinct word of the corpus is a list of symbols (at first single characters) with a count.
Training repeatedly picks the best adjacent pair of symbols and merges it everywhere into one new
symbol. Counting every pair afresh after each merge would be slow, so `PairCounts` keeps the counts
up to date incrementally: a merge only revisits the words that contain the merged pair.

Two ways to pick the best pair:
  "frequency"  (BPE):       the pair seen most often,                 count(ab)
  "likelihood" (WordPiece): the pair whose parts rarely occur apart,  count(ab) / (count(a) * count(b))
Ties go to the higher count, then to the alphabetically smaller pair, so training is deterministic.
"""
import heapq
from collections import Counter, defaultdict


def merge_symbols(symbols, a, b, merged):
    """Replace every adjacent (a, b) in `symbols`, scanning left to right, by `merged`."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
            out.append(merged)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


class PairCounts:
    """Words as symbol lists with their counts, and the weighted counts of symbols and adjacent pairs."""

    def __init__(self, words, counts, join):
        self.words = [list(w) for w in words]
        self.counts = list(counts)
        self.join = join  # join(a, b) -> the symbol that merging a and b makes
        self.pair_counts = Counter()  # (a, b) -> occurrences, weighted by word counts
        self.pair_words = defaultdict(set)  # (a, b) -> indices of the words that contain it
        self.symbol_counts = Counter()  # symbol -> occurrences, weighted by word counts
        self.pairs_of_symbol = defaultdict(set)  # symbol -> pairs (with a nonzero count) it is part of
        for w in range(len(self.words)):
            self._add_word(w)

    def _add_word(self, w):
        symbols, n = self.words[w], self.counts[w]
        for symbol in symbols:
            self.symbol_counts[symbol] += n
        for pair in zip(symbols, symbols[1:]):
            if pair not in self.pair_counts:
                self.pairs_of_symbol[pair[0]].add(pair)
                self.pairs_of_symbol[pair[1]].add(pair)
            self.pair_counts[pair] += n
            self.pair_words[pair].add(w)

    def _remove_word(self, w):
        symbols, n = self.words[w], self.counts[w]
        for symbol in symbols:
            self.symbol_counts[symbol] -= n
            if self.symbol_counts[symbol] == 0:
                del self.symbol_counts[symbol]
        for pair in zip(symbols, symbols[1:]):
            self.pair_counts[pair] -= n
            if self.pair_counts[pair] == 0:
                del self.pair_counts[pair]
                self.pairs_of_symbol[pair[0]].discard(pair)
                self.pairs_of_symbol[pair[1]].discard(pair)
            self.pair_words[pair].discard(w)
            if not self.pair_words[pair]:
                del self.pair_words[pair]

    def merge(self, pair):
        """Merge `pair` in every word that holds it; return the set of pairs whose count changed."""
        a, b = pair
        merged = self.join(a, b)
        before = {}
        for w in sorted(self.pair_words[pair]):
            old = self.words[w]
            new = merge_symbols(old, a, b, merged)
            for p in list(zip(old, old[1:])) + list(zip(new, new[1:])):
                before.setdefault(p, self.pair_counts.get(p, 0))
            self._remove_word(w)
            self.words[w] = new
            self._add_word(w)
        return {p for p, count in before.items() if self.pair_counts.get(p, 0) != count}


def learn_merges(pair_counts, max_new_symbols, known_symbols, score="frequency", min_frequency=2):
    """Merge the best pair again and again until `max_new_symbols` new symbols were made.

    pair_counts: a PairCounts (changed in place). known_symbols: symbols already in the vocabulary
    (a merge that makes one of them again adds no new symbol). A pair seen fewer than `min_frequency`
    times is never merged. Returns (merges, new_symbols): the merged pairs in order, and the symbols
    that were new, in the order they were made.
    """
    if score not in ("frequency", "likelihood"):
        raise ValueError(f"score must be 'frequency' or 'likelihood', got {score!r}")
    if isinstance(min_frequency, bool) or not isinstance(min_frequency, int) or min_frequency < 1:
        raise ValueError(f"min_frequency must be an int of at least 1, got {min_frequency!r}")
    counts, symbols = pair_counts.pair_counts, pair_counts.symbol_counts

    def heap_entry(pair):  # smallest entry = best pair
        a, b = pair
        if score == "likelihood":
            return (-counts[pair] / (symbols[a] * symbols[b]), -counts[pair], a, b)
        return (-counts[pair], a, b)

    heap = [heap_entry(p) for p in counts]
    heapq.heapify(heap)
    known = set(known_symbols)
    merges, new_symbols = [], []
    while heap and len(new_symbols) < max_new_symbols:
        entry = heapq.heappop(heap)
        pair = entry[-2:]
        # Entries go stale when counts change; the up-to-date entry was pushed when they changed.
        if pair not in counts or entry != heap_entry(pair) or counts[pair] < min_frequency:
            continue
        changed = pair_counts.merge(pair)
        merges.append(pair)
        merged = pair_counts.join(*pair)
        if merged not in known:
            known.add(merged)
            new_symbols.append(merged)
        if score == "likelihood":  # fewer lone a's and b's raise the score of every pair holding them
            changed |= pair_counts.pairs_of_symbol[pair[0]] | pair_counts.pairs_of_symbol[pair[1]]
        for p in changed:
            if p in counts:
                heapq.heappush(heap, heap_entry(p))
    return merges, new_symbols
