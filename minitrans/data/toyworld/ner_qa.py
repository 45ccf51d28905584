"""Named-entity tagging and extractive question answering over the toy world.

NER: a sentence as a list of words (punctuation split off) with one BIO tag per word
(PER, LOC, ORG). Organisations often contain a place ('Tarsk Hospital', 'Bank of
Zembla'), so a tagger must use context, not only the word.
QA: a short context about a few people and places, a question and the answer span
(text and character start), the answer sometimes found by combining two sentences.
"""
import re

from . import lexicon as lex
from .facts import country_sentence, person_sentence, pick, pronoun
from .sentences import money_cloze, split_sentences, syntax_frame


def words(text):
    """Split text into words and punctuation marks: 'Tom, hi.' -> ['Tom', ',', 'hi', '.']."""
    return re.findall(r"\w+|[^\w\s]", text)


def _entity(text, label):
    return [(w, ("B-" if i == 0 else "I-") + label) for i, w in enumerate(words(text))]


def _plain(text):
    return [(w, "O") for w in words(text)]


def _organisation(facts, rng):
    """(name, city) of a random organisation: a restaurant, or a school, hospital, bank or airline of a place.

    Banks and airlines of a country sit in its capital.
    """
    kind = pick(rng, ("restaurant", "school", "hospital", "bank", "airline"))
    if kind == "restaurant":
        name = pick(rng, lex.RESTAURANTS)
        return name, facts.restaurants[name]
    city = pick(rng, tuple(facts.country_of_city))
    if kind in ("school", "hospital"):
        return f"{city} {kind.capitalize()}", city
    country = facts.country(facts.country_of_city[city])
    return (f"Bank of {country.name}" if kind == "bank" else f"{country.name} Air"), country.capital


def make_ner(facts, rng):
    """{'tokens': [...], 'tags': [...]} for one sentence."""
    people = [facts.people[i] for i in rng.permutation(len(facts.people))[:2]]
    a, b = people[0].name, people[1].name
    places = tuple(facts.country_of_city) + tuple(c.name for c in facts.countries)
    loc1, loc2 = (places[i] for i in rng.permutation(len(places))[:2])
    org, org_city = _organisation(facts, rng)
    org_parts = ([("the", "O")] if org in lex.RESTAURANTS else []) + _entity(org, "ORG")
    restaurant = pick(rng, lex.RESTAURANTS)
    kind = int(rng.integers(9))
    if kind == 0:
        parts = _entity(a, "PER") + _plain("lives in") + _entity(people[0].city, "LOC")
    elif kind == 1 and people[0].workplace:     # farmers have no workplace: they get the last template
        the = [("the", "O")] if people[0].workplace in lex.RESTAURANTS else []
        parts = _entity(a, "PER") + _plain("works at") + the + _entity(people[0].workplace, "ORG")
    elif kind == 2:
        parts = (_entity(a, "PER") + _plain("flew from") + _entity(loc1, "LOC") + _plain("to")
                 + _entity(loc2, "LOC") + _plain("with") + _entity(b, "PER"))
    elif kind == 3:
        parts = (_entity(a, "PER") + _plain("and") + _entity(b, "PER") + _plain("had dinner at the")
                 + _entity(restaurant, "ORG") + _plain("in") + _entity(facts.restaurants[restaurant], "LOC"))
    elif kind == 4:
        parts = [(w.capitalize() if i == 0 else w, t) for i, (w, t) in enumerate(org_parts)]
        parts += _plain("is in") + _entity(org_city, "LOC")
    elif kind == 5:
        parts = _entity(a, "PER") + _plain("called") + _entity(b, "PER") + _plain("from") + org_parts
    elif kind == 6:
        parts = _entity(a, "PER") + _plain("visited") + _entity(loc1, "LOC") + _plain("and") + _entity(loc2, "LOC")
    elif kind == 7:
        parts = _plain("In") + _entity(org_city, "LOC") + _plain(",") + _entity(a, "PER") + _plain("met") \
            + _entity(b, "PER") + _plain("at") + org_parts
    else:
        parts = _plain(syntax_frame(rng).render()[:-1])
    parts = parts + [(".", "O")]
    return {"tokens": [w for w, _ in parts], "tags": [t for _, t in parts]}


# ---------------------------------------------------------------- extractive QA
def _person_units(facts, rng, p):
    """Sentences about person p, each with the questions it answers: [(sentence, [(question, answer)])]."""
    units = []
    questions = {"city": (f"Where does {p.name} live?", p.city), "job": (f"What job does {p.name} have?", p.job),
                 "pet": (f"What animal does {p.name} have?", p.pet), "age": (f"How old is {p.name}?", str(p.age)),
                 "work": (f"Where does {p.name} work?", p.workplace or f"a farm near {p.city}")}
    relations = tuple(questions)
    for i in rng.permutation(len(relations))[:int(rng.integers(2, 4))]:
        units.append((person_sentence(rng, p, relations[i]), [questions[relations[i]]]))
    return units


def _country_unit(facts, rng, p):
    """The sentence placing p's city in its country, and its questions (one needs p's city sentence too)."""
    country = facts.country(facts.country_of_city[p.city])
    if p.city == country.capital:
        sentence = country_sentence(rng, country, "capital")
        own = (f"What is the capital of {country.name}?", country.capital)
    else:
        sentence = country_sentence(rng, country, "town")
        own = (f"In which country is {country.town}?", country.name)
    return sentence, [own, (f"In which country does {p.name} live?", country.name)]


def _story_unit(facts, rng, p):
    """A cause-effect sentence or a money story about p, with its question."""
    he, his = pronoun(p.gender, "subj"), pronoun(p.gender, "pos")
    if rng.random() < 0.5:
        state = pick(rng, tuple(lex.CAUSES))
        reason = f"{he} {pick(rng, lex.CAUSES[state]).format(pos=his)}"
        return f"{p.name} is {state} because {reason}.", [(f"Why is {p.name} {state}?", reason)]
    cloze = money_cloze(facts, rng, p)
    return cloze.text, [(f"How many bucks does {p.name} have now?", cloze.answer)]


def _find(sentence, answer):
    """Character start of the only whole-word occurrence of `answer` in `sentence`."""
    hits = [m.start() for m in re.finditer(r"(?<!\w)" + re.escape(answer) + r"(?!\w)", sentence)]
    if len(hits) != 1:
        raise AssertionError(f"answer {answer!r} occurs {len(hits)} times in {sentence!r}")
    return hits[0]


def make_qa(facts, rng):
    """{'context', 'question', 'answer', 'answer_start'} with context[start:start+len(answer)] == answer."""
    people = [facts.people[i] for i in rng.permutation(len(facts.people))[:2]]
    units, countries = [], set()
    for p in people:
        units += _person_units(facts, rng, p)
        if facts.country_of_city[p.city] not in countries and rng.random() < 0.7:
            countries.add(facts.country_of_city[p.city])
            units.append(_country_unit(facts, rng, p))
    units.append(_story_unit(facts, rng, pick(rng, people)))
    units = [units[i] for i in rng.permutation(len(units))]
    context = " ".join(text for text, _ in units)
    asked = set(q for _, qs in units for q, _ in qs)
    choices = []
    offset = 0
    for text, qs in units:
        for question, answer in qs:
            if question.startswith("In which country does"):
                name = question.split()[4]
                if f"Where does {name} live?" not in asked:
                    continue        # the person's city is not in the context
            sentence = split_sentences(text)[-1] if "bucks" in question else text
            start = offset + len(text) - len(sentence) + _find(sentence, answer)
            choices.append((question, answer, start))
        offset += len(text) + 1
    question, answer, start = pick(rng, choices)
    return {"context": context, "question": question, "answer": answer, "answer_start": int(start)}
