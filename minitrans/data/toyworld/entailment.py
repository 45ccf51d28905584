"""Entailment pairs of the toy world: does the premise make the hypothesis true, false, or neither?

Every hypothesis template yields all three labels depending on whether its person,
object, number or place matches the premise ('Tom bought more than 3 apples' after
'Tom bought 5 apples' / '... 7 apples'; 'Mary lives in Zembla' needs the capital of
Zembla), so the words alone do not give the label away.
"""
from . import lexicon as lex
from .facts import pick, pronoun
from .sentences import two_people

ENTAILMENT, NEUTRAL, CONTRADICTION = 0, 1, 2
ENTAILMENT_LABELS = ("entailment", "neutral", "contradiction")
OPPOSITE_STATES = {"sad": "happy", "happy": "sad", "wet": "dry", "cold": "warm", "late": "early",
                   "hungry": "full", "scared": "calm", "tired": "rested"}


def _either(rng, same, other, p_same=0.5):
    """`same` with probability p_same, else `other`."""
    return same if rng.random() < p_same else other


def purchase_pair(facts, rng):
    """Premise 'A bought n items at the market in a city.'"""
    a, b = two_people(facts, rng, different_gender=False)
    item = pick(rng, lex.FOOD_ITEMS)
    other_item = pick(rng, [x for x in lex.FOOD_ITEMS if x != item])
    city = pick(rng, tuple(facts.country_of_city))
    n, m = int(rng.integers(3, 10)), int(rng.integers(2, 11))
    premise = f"{a.name} bought {n} {item} at the market in {city}."
    kind = pick(rng, ("more", "fewer", "bought", "not_bought", "country"))
    if kind == "more":
        return premise, f"{a.name} bought more than {m} {item}.", ENTAILMENT if n > m else CONTRADICTION
    if kind == "fewer":
        return premise, f"{a.name} bought fewer than {m} {item}.", ENTAILMENT if n < m else CONTRADICTION
    if kind == "country":
        country = facts.country_of_city[city]
        named = _either(rng, country, pick(rng, [c.name for c in facts.countries if c.name != country]))
        return premise, f"{a.name} was in {named}.", ENTAILMENT if named == country else NEUTRAL
    who, what = _either(rng, a, b), _either(rng, item, other_item)
    same = who is a and what == item
    if kind == "bought":
        return premise, f"{who.name} bought {what}.", ENTAILMENT if same else NEUTRAL
    return premise, f"{who.name} did not buy {what}.", CONTRADICTION if same else NEUTRAL


def feeling_pair(facts, rng):
    """Premise 'A is <state> because <cause>.'"""
    a, b = two_people(facts, rng, different_gender=False)
    state = pick(rng, tuple(lex.CAUSES))
    cause = pick(rng, lex.CAUSES[state])
    premise = f"{a.name} is {state} because {pronoun(a.gender, 'subj')} {cause.format(pos=pronoun(a.gender, 'pos'))}."
    who = _either(rng, a, b, p_same=0.7)
    kind = pick(rng, ("is", "is_not", "cause"))
    if kind == "cause":
        other_state = pick(rng, [s for s in lex.CAUSES if s != state])
        said = _either(rng, cause, pick(rng, lex.CAUSES[other_state]))
        hypothesis = f"{who.name} {said.format(pos=pronoun(who.gender, 'pos'))}."
        return premise, hypothesis, ENTAILMENT if who is a and said == cause else NEUTRAL
    other = pick(rng, [s for s in lex.CAUSES if s not in (state, OPPOSITE_STATES[state])])
    said = pick(rng, (state, OPPOSITE_STATES[state], other))
    if who is not a or said == other:
        label = NEUTRAL
    elif kind == "is":
        label = ENTAILMENT if said == state else CONTRADICTION
    else:
        label = CONTRADICTION if said == state else ENTAILMENT
    return premise, f"{who.name} is {'not ' if kind == 'is_not' else ''}{said}.", label


def residence_pair(facts, rng):
    """Premise 'A lives in <city>.' (true in the world); the hypothesis names a country."""
    a, b = two_people(facts, rng, different_gender=False)
    who = _either(rng, a, b, p_same=0.75)
    country = facts.country_of_city[a.city]
    named = _either(rng, country, pick(rng, [c.name for c in facts.countries if c.name != country]))
    premise = f"{a.name} lives in {a.city}."
    if rng.random() < 0.5:
        label = NEUTRAL if who is not a else ENTAILMENT if named == country else CONTRADICTION
        return premise, f"{who.name} lives in {named}.", label
    label = NEUTRAL if who is not a else CONTRADICTION if named == country else ENTAILMENT
    return premise, f"{who.name} does not live in {named}.", label


def gift_pair(facts, rng):
    """Premise 'A gave B a gift.'"""
    a, b = two_people(facts, rng, different_gender=False)
    c = pick(rng, [p for p in facts.people if p.name not in (a.name, b.name)])
    gift = pick(rng, lex.GIFTS)
    other_gift = pick(rng, [g for g in lex.GIFTS if g != gift])
    premise = f"{a.name} gave {b.name} {gift}."
    kind = pick(rng, ("got", "nobody", "did_not"))
    if kind == "got":
        giver, what = _either(rng, a, c), _either(rng, gift, other_gift)
        same = giver is a and what == gift
        return premise, f"{b.name} got {what} from {giver.name}.", ENTAILMENT if same else NEUTRAL
    if kind == "nobody":
        what = _either(rng, gift, other_gift)
        return premise, f"Nobody gave {b.name} {what}.", CONTRADICTION if what == gift else NEUTRAL
    giver = _either(rng, a, c)
    return premise, f"{giver.name} did not give {b.name} anything.", CONTRADICTION if giver is a else NEUTRAL


def make_entailment(facts, rng):
    """Premise and hypothesis; label 0 entailment, 1 neutral, 2 contradiction (labels drawn evenly)."""
    label = int(rng.integers(3))
    while True:
        premise, hypothesis, got = pick(rng, (purchase_pair, feeling_pair, residence_pair, gift_pair))(facts, rng)
        if got == label:
            return {"premise": premise, "hypothesis": hypothesis, "label": label}
