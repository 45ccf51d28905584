"""Sentence families of the toy world, one per phenomenon that word guessing teaches.

Each family returns a `Cloze`: a sentence (or short passage) split around one word
that a model can only guess by knowing the phenomenon (the verb that agrees with a
distant subject, the pronoun that refers back to a person, ...). The corpus writes
`cloze.text`; the probes blank `cloze.answer` out and offer `cloze.distractors`.
"""
import re
from dataclasses import dataclass

from . import lexicon as lex
from .facts import BLANK, capitalize, other_gender, pick, pronoun


@dataclass(frozen=True)
class Cloze:
    before: str
    answer: str
    after: str
    distractors: tuple
    kind: str

    @property
    def text(self):
        return self.before + self.answer + self.after

    @property
    def blanked(self):
        return self.before + BLANK + self.after


def split_sentences(text):
    """Split a passage into sentences at '. ' (the toy world writes no abbreviations)."""
    return [s for s in re.split(r"(?<=[.!?]) ", text) if s]


def two_people(facts, rng, different_gender=True):
    """Two distinct people; of different genders when asked, so pronouns tell them apart."""
    a = pick(rng, facts.people)
    others = [p for p in facts.people if p.name != a.name and (not different_gender or p.gender != a.gender)]
    return a, pick(rng, others)


# ---------------------------------------------------------------- syntax: agreement
@dataclass(frozen=True)
class SyntaxFrame:
    """'The {head} {middle_before}{middle_verb}{middle_after} {main verb} {predicate}.'"""
    kind: str            # what stands between subject and verb: 'simple', 'near', 'feeds', ...
    head: str
    plural: bool
    middle_before: str
    middle_verb: tuple   # (right, wrong) form of a verb inside the relative clause, or None
    middle_after: str
    main_verb: tuple     # (right, wrong)
    predicate: str

    def render(self, break_main=False, break_middle=False):
        middle = self.middle_before
        if self.middle_verb is not None:
            middle += self.middle_verb[1 if break_middle else 0]
        middle += self.middle_after
        verb = self.main_verb[1 if break_main else 0]
        return f"The {self.head} {middle}{verb} {self.predicate}."


def _agree(pair, plural):
    """(right, wrong) form of a (singular, plural) verb pair for a subject of this number."""
    return (pair[1], pair[0]) if plural else pair


def syntax_frame(rng):
    """A subject, often followed by a relative clause or a phrase whose noun has the other number."""
    plural = bool(rng.random() < 0.5)
    head = pick(rng, lex.ANIMALS)[int(plural)]
    attractor_plural = (not plural) if rng.random() < 0.7 else plural
    animal = pick(rng, [a for a in lex.ANIMALS if head not in a])[int(attractor_plural)]
    relative = pick(rng, lex.RELATIVES)[int(attractor_plural)]
    kind = pick(rng, ("raised_by", "sees", "likes", "feeds", "chases", "near", "behind", "simple"))
    before, verb, after = "", None, ""
    if kind == "raised_by":
        before, verb, after = "that ", _agree(lex.BE_PRESENT, plural), f" raised by my {relative} "
    elif kind == "sees":
        before, verb, after = "that ", _agree(("sees", "see"), plural), f" the {animal} "
    elif kind == "likes":
        before, verb, after = "that ", _agree(("likes", "like"), plural), f" my {relative} "
    elif kind == "feeds":
        before, verb, after = f"that my {relative} ", _agree(("feeds", "feed"), attractor_plural), " "
    elif kind == "chases":
        before, verb, after = f"that the {animal} ", _agree(("chases", "chase"), attractor_plural), " "
    elif kind in ("near", "behind"):
        before = f"{kind} the {animal} "
    style = rng.random()
    if style < 0.4:
        main, predicate = _agree(lex.BE_PRESENT, plural), pick(rng, lex.BE_PREDICATES)
    elif style < 0.7:
        main, predicate = _agree(lex.BE_PAST, plural), pick(rng, lex.BE_PREDICATES)
    else:
        main, predicate = _agree(pick(rng, lex.LEXICAL_VERBS), plural), pick(rng, lex.VERB_COMPLEMENTS)
    return SyntaxFrame(kind, head, plural, before, verb, after, main, predicate)


def syntax_cloze(facts, rng):
    """Blank the main verb, whose number follows the head noun across the clause."""
    f = syntax_frame(rng)
    text = f.render()
    before, after = text.rsplit(f" {f.main_verb[0]} {f.predicate}.", 1)
    return Cloze(before + " ", f.main_verb[0], f" {f.predicate}.", (f.main_verb[1],), f.kind)


# ---------------------------------------------------------------- coreference
def coreference_cloze(facts, rng):
    """Blank a pronoun whose gender names which of two people it refers to."""
    a, b = two_people(facts, rng)
    kind = pick(rng, ("possessive", "object", "subject", "reflexive", "next_sentence"))

    def pair(person, case, upper=False):
        right, wrong = pronoun(person.gender, case), pronoun(other_gender(person.gender), case)
        return (capitalize(right), capitalize(wrong)) if upper else (right, wrong)

    if kind == "possessive":       # whose friends / birthday / keys: the first person's
        middle, thing = pick(rng, (("is happy that {b} invited", "friends"), ("is sad that {b} forgot", "birthday"),
                                   ("thanked {b} for finding", "keys")))
        before, after, (ans, wrong) = f"{a.name} {middle.format(b=b.name)} ", f" {thing}.", pair(a, "pos")
    elif kind == "object":
        before, after, (ans, wrong) = f"{a.name} called {b.name} because {pronoun(a.gender, 'subj')} missed ", ".", \
            pair(b, "obj")
    elif kind == "subject":
        before, after, (ans, wrong) = f"{a.name} thanked {b.name} because ", \
            f" had helped {pronoun(a.gender, 'obj')}.", pair(b, "subj")
    elif kind == "reflexive":
        place = pick(rng, ("in the mirror", "in the window", "in a photo"))
        before, after, (ans, wrong) = f"{a.name} saw ", f" {place}.", pair(a, "refl")
    else:
        place = pick(rng, ("at the park", "at the market", "at school"))
        before = f"{a.name} met {b.name} {place}. "
        after = f" gave {pronoun(b.gender, 'obj')} {pick(rng, lex.GIFTS)}."
        ans, wrong = pair(a, "subj", upper=True)
    return Cloze(before, ans, after, (wrong,), kind)


# ---------------------------------------------------------------- commonsense: cause and effect
def agent(facts, rng):
    """A person of the world or a generic 'the boy' / 'my sister', as (text, gender)."""
    if rng.random() < 0.7:
        p = pick(rng, facts.people)
        return p.name, p.gender
    return pick(rng, lex.GENERIC_AGENTS)


def commonsense_cloze(facts, rng):
    """Blank the state (sad, hungry, ...) that a cause leads to or that explains an action."""
    name, gender = agent(facts, rng)
    state = pick(rng, tuple(lex.CAUSES))
    he, his = pronoun(gender, "subj"), pronoun(gender, "pos")
    cause = pick(rng, lex.CAUSES[state]).format(pos=his)
    action = lex.ACTIONS[state].format(pos=his)
    kind = pick(rng, ("because", "after", "so", "action", "because_action"))
    if kind == "after" and state == "late":
        kind = "because"            # one does not 'feel late'
    if kind == "because":
        before, after = f"{capitalize(name)} is ", f" because {he} {cause}."
    elif kind == "after":
        before, after = f"{capitalize(name)} felt ", f" after {he} {cause}."
    elif kind == "so":
        before, after = f"{capitalize(name)} {cause}, so {he} is ", "."
    elif kind == "action":
        before, after = f"{capitalize(name)} was ", f", so {he} {action}."
    else:
        before, after = f"Because {name} was ", f", {he} {action}."
    others = [s for s in lex.CAUSES if s != state]
    distractors = tuple(others[i] for i in rng.permutation(len(others))[:3])
    return Cloze(before, state, after, distractors, kind)


# ---------------------------------------------------------------- numbers
def _number_distractors(rng, answer, options, step, minimum, count=3):
    """`count` distinct wrong numbers >= minimum: plausible slips in `options`, or answer +- step, 2 step, 3 step."""
    pool = []
    for x in list(options) + [answer + step * d for d in (1, -1, 2, -2, 3, -3)]:
        if x >= minimum and x != answer and str(x) not in pool:
            pool.append(str(x))
    chosen = rng.permutation(len(pool))[:count]
    return tuple(pool[i] for i in sorted(chosen))


def age_cloze(facts, rng):
    """'Tom is 30 years old and Mary is 40. So Tom is ___ than Mary.' (older / younger)"""
    a, b = two_people(facts, rng, different_gender=False)
    while a.age == b.age:
        a, b = two_people(facts, rng, different_gender=False)
    answer, wrong = ("older", "younger") if a.age > b.age else ("younger", "older")
    before = f"{a.name} is {a.age} years old and {b.name} is {b.age}. So {a.name} is "
    return Cloze(before, answer, f" than {b.name}.", (wrong,), "age")


def money_cloze(facts, rng, person=None):
    """'Tom took 100 bucks to Tarsk. He won 50 and then lost 100. Now he has ___ bucks.'"""
    p = person if person is not None else pick(rng, facts.people)
    he = pronoun(p.gender, "subj")
    start = int(rng.integers(5, 21)) * 10
    (verb1, sign1), (verb2, sign2) = pick(rng, lex.MONEY_OPS), pick(rng, lex.MONEY_OPS)
    x1 = int(rng.integers(1, 11)) * 10
    if sign1 < 0:
        x1 = min(x1, start)                 # nobody loses more than they have
    if start + sign1 * x1 == 0:
        verb2, sign2 = "won", 1
    x2 = int(rng.integers(1, 11)) * 10
    if sign2 < 0:
        x2 = min(x2, start + sign1 * x1)
    answer = start + sign1 * x1 + sign2 * x2
    city = pick(rng, tuple(facts.country_of_city))
    before = (f"{p.name} took {start} bucks to {city}. "
              f"{capitalize(he)} {verb1} {x1} and then {verb2} {x2}. Now {he} has ")
    options = (start, start + sign1 * x1, start - sign1 * x1 + sign2 * x2, start + x1 + x2)
    return Cloze(before, str(answer), " bucks.", _number_distractors(rng, answer, options, 10, 0), "money")


def items_cloze(facts, rng):
    """'Tom had 5 apples. He ate 2. Now he has ___ apples.'"""
    p = pick(rng, facts.people)
    he = pronoun(p.gender, "subj")
    item = pick(rng, lex.FOOD_ITEMS)
    start, k = int(rng.integers(4, 10)), int(rng.integers(1, 3))
    if rng.random() < 0.5:
        verb, answer = pick(rng, (f"ate {k}", f"gave {k} away")), start - k
    else:
        verb, answer = f"bought {k} more", start + k
    before = f"{p.name} had {start} {item}. {capitalize(he)} {verb}. Now {he} has "
    options = (start, start - k, start + k, k)
    # at least 2: 'he has 1 apples' is not English
    return Cloze(before, str(answer), f" {item}.", _number_distractors(rng, answer, options, 1, 2), "items")


def numbers_cloze(facts, rng):
    """Blank a number that follows from arithmetic in the passage, or a comparison of two ages."""
    return pick(rng, (money_cloze, items_cloze, age_cloze))(facts, rng)


# ---------------------------------------------------------------- sentiment: reviews
def review_clause(rng, polarity):
    """A clause with `polarity` +1/-1; sometimes through negation ('not bad' is positive)."""
    if rng.random() < 0.15:
        return pick(rng, lex.FIXED_CLAUSES[polarity])
    group = pick(rng, tuple(lex.ASPECTS))
    phrase, plural = pick(rng, lex.ASPECTS[group])
    be = "are" if plural else "is"
    if rng.random() < 0.3:
        negation = pick(rng, ("not", "never")) if polarity > 0 else "not"      # 'never rude', 'not clean'
        return f"{phrase} {be} {negation} {pick(rng, lex.ADJECTIVES[group][-polarity])}"
    intensity = pick(rng, lex.INTENSIFIERS) + " " if rng.random() < 0.3 else ""
    return f"{phrase} {be} {intensity}{pick(rng, lex.ADJECTIVES[group][polarity])}"


def review(rng, contrast=None):
    """(text, label): label 1 positive, 0 negative.

    Either every clause has the review's polarity (1 to 3 clauses), or (`contrast`) two
    clauses of opposite polarity are contrasted and the clause after 'but' (or the main
    clause after 'although ...,') decides: word counts alone cannot tell.
    """
    polarity = 1 if rng.random() < 0.5 else -1
    if contrast is None:
        contrast = bool(rng.random() < 0.5)
    if not contrast:
        clauses = [review_clause(rng, polarity) for _ in range(int(rng.integers(1, 4)))]
        if len(clauses) == 2 and rng.random() < 0.5:
            text = capitalize(clauses[0]) + ", and " + clauses[1] + "."
        else:
            text = " ".join(capitalize(c) + "." for c in clauses)
    else:
        first, second = review_clause(rng, -polarity), review_clause(rng, polarity)
        if rng.random() < 0.7:
            text = f"{capitalize(first)}, but {second}."
        else:
            text = f"Although {first}, {second}."
    return text, int(polarity > 0)


def sentiment_cloze(facts, rng, contrast=None):
    """Blank the verdict that closes a review ('Overall, it was good.'); kind 'contrast' or 'uniform'."""
    if contrast is None:
        contrast = bool(rng.random() < 0.5)
    text, label = review(rng, contrast)
    answer, wrong = ("good", "bad") if label else ("bad", "good")
    return Cloze(text + " Overall, it was ", answer, ".", (wrong,), "contrast" if contrast else "uniform")


CLOZE_FAMILIES = {"syntax": syntax_cloze, "coreference": coreference_cloze, "commonsense": commonsense_cloze,
                  "numbers": numbers_cloze, "sentiment": sentiment_cloze}
