"""Word-guessing probes: one sentence with one blank, the right word and distractors.

Each phenomenon has its own probe set. Probe texts are held out of the corpus: the
cloze families only use texts for which `is_held_out` is true (the corpus drops
exactly those), and knowledge probes use wordings the corpus never uses, while the
facts they ask about are stated in the corpus in other words.
"""
from dataclasses import asdict, dataclass

from . import lexicon as lex
from .documents import is_held_out
from .facts import BLANK, KNOWLEDGE_PROBE_TEMPLATES, country_slots, person_slots
from .sentences import CLOZE_FAMILIES, sentiment_cloze

PHENOMENA = ("syntax", "coreference", "knowledge", "commonsense", "numbers", "sentiment")


@dataclass(frozen=True)
class Probe:
    """A cloze item. `text` holds one '___'; `candidates` includes `answer`."""
    text: str
    answer: str
    candidates: tuple
    phenomenon: str
    kind: str

    def filled(self, word=None):
        """The text with the blank filled by `word` (default: the right answer)."""
        return self.text.replace(BLANK, self.answer if word is None else word)

    def masked(self, mask_token):
        """The text with the blank replaced by `mask_token` (e.g. '[MASK]')."""
        return self.text.replace(BLANK, mask_token)

    def to_dict(self):
        d = asdict(self)
        d["candidates"] = list(self.candidates)
        return d

    @classmethod
    def from_dict(cls, d):
        """Build a Probe from a dict with keys text, answer, candidates, phenomenon, kind."""
        missing = {"text", "answer", "candidates", "phenomenon", "kind"} - set(d)
        if missing:
            raise ValueError(f"a probe needs text, answer, candidates, phenomenon and kind; missing {sorted(missing)}")
        return cls(d["text"], d["answer"], tuple(d["candidates"]), d["phenomenon"], d["kind"])


def _shuffled(rng, items):
    return tuple(items[i] for i in rng.permutation(len(items)))


def _knowledge_items(facts):
    """Every (kind, text with blank, answer, pool of same-type words) the knowledge probes can ask."""
    cities = tuple(facts.country_of_city)
    pools = {"capital": tuple(c.capital for c in facts.countries), "language": lex.LANGUAGES,
             "town": lex.COUNTRIES, "city": cities, "job": tuple(lex.JOBS), "pet": tuple(a[0] for a in lex.ANIMALS)}
    items = []
    for c in facts.countries:
        slots = country_slots(c)
        for kind, answer in (("capital", c.capital), ("language", c.language), ("town", c.name)):
            items += [(kind, t.format(**slots), answer, pools[kind]) for t in KNOWLEDGE_PROBE_TEMPLATES[kind]]
    for p in facts.people:
        slots = person_slots(p)
        for kind, answer in (("city", p.city), ("job", p.job), ("pet", p.pet)):
            items += [(kind, t.format(**slots), answer, pools[kind]) for t in KNOWLEDGE_PROBE_TEMPLATES[kind]]
    return items


def knowledge_probes(facts, rng, n):
    items = _knowledge_items(facts)
    if n > len(items):
        raise ValueError(f"the toy world has {len(items)} knowledge probes; asked for {n}")
    probes = []
    for i in rng.permutation(len(items))[:n]:
        kind, text, answer, pool = items[i]
        others = [w for w in pool if w != answer]
        distractors = [others[j] for j in rng.permutation(len(others))[:3]]
        probes.append(Probe(text, answer, _shuffled(rng, [answer] + distractors), "knowledge", kind))
    return probes


def cloze_probes(facts, rng, n, phenomenon):
    """`n` distinct held-out clozes of one family (sentiment: contrastive reviews only)."""
    family = CLOZE_FAMILIES[phenomenon]
    probes, seen, attempts = [], set(), 0
    while len(probes) < n:
        attempts += 1
        if attempts > 200 * n + 1000:
            raise ValueError(f"could only make {len(probes)} distinct {phenomenon} probes; asked for {n}")
        cloze = sentiment_cloze(facts, rng, contrast=True) if phenomenon == "sentiment" else family(facts, rng)
        if not is_held_out(cloze.text) or cloze.blanked in seen:
            continue
        seen.add(cloze.blanked)
        candidates = _shuffled(rng, [cloze.answer] + list(cloze.distractors))
        probes.append(Probe(cloze.blanked, cloze.answer, candidates, phenomenon, cloze.kind))
    return probes
