"""Pretraining documents of the toy world.

A document is a list of sentences about one subject: a person, a country, a
restaurant visit, some animals, or a short story. It is assembled from units (a
sentence or a short passage). A unit whose text is held out for the probes (see
`is_held_out`) is never written, so no probe appears in the corpus; the facts a
knowledge probe asks about are written in other wordings.
"""
import zlib

from . import events
from . import lexicon as lex
from .facts import country_sentence, person_sentence, pick
from .sentences import CLOZE_FAMILIES, review, sentiment_cloze, split_sentences, syntax_cloze

HOLDOUT_MODULUS = 8


def is_held_out(text):
    """True for about one text in HOLDOUT_MODULUS: such texts may become probes and never enter the corpus."""
    return zlib.crc32(text.encode("utf-8")) % HOLDOUT_MODULUS == 0


def _story_unit(facts, rng):
    """One unit of a story: a cloze family sentence, a role event or a scene."""
    choice = rng.random()
    if choice < 0.6:
        family = pick(rng, ("coreference", "commonsense", "numbers"))
        return CLOZE_FAMILIES[family](facts, rng).text
    if choice < 0.8:
        event = events.role_event(facts, rng)
        return event.render(int(rng.integers(events.n_forms(event))))
    return events.scene(facts, rng).render(int(rng.integers(3)))


def person_document(facts, rng):
    p = pick(rng, facts.people)
    units = [person_sentence(rng, p, "city")]
    relations = ("job", "work", "pet", "age")
    for i in rng.permutation(len(relations))[:int(rng.integers(2, 5))]:
        units.append(person_sentence(rng, p, relations[i]))
    country = facts.country(facts.country_of_city[p.city])
    units.append(country_sentence(rng, country, "capital" if p.city == country.capital else "town"))
    if rng.random() < 0.5:
        units.append(country_sentence(rng, country, "language"))
    units.extend(_story_unit(facts, rng) for _ in range(int(rng.integers(0, 3))))
    return units


def country_document(facts, rng):
    c = pick(rng, facts.countries)
    relations = ["capital", "capital", "language", "town"]
    units = [country_sentence(rng, c, relations[i]) for i in rng.permutation(len(relations))]
    residents = [p for p in facts.people if p.city in (c.capital, c.town)]
    for i in rng.permutation(len(residents))[:2]:
        units.append(person_sentence(rng, residents[i], "city"))
    for name, city in facts.restaurants.items():
        if city in (c.capital, c.town) and rng.random() < 0.5:
            units.append(f"The {name} is a restaurant in {city}.")
    return units


def review_document(facts, rng):
    p = pick(rng, facts.people)
    restaurant = pick(rng, lex.RESTAURANTS)
    units = [f"{p.name} ate at the {restaurant} in {facts.restaurants[restaurant]}."]
    units.append(sentiment_cloze(facts, rng).text if rng.random() < 0.7 else review(rng)[0])
    if rng.random() < 0.3:
        units.append(person_sentence(rng, p, "city"))
    return units


def animal_document(facts, rng):
    units = [syntax_cloze(facts, rng).text for _ in range(int(rng.integers(3, 7)))]
    if rng.random() < 0.5:
        units.insert(0, person_sentence(rng, pick(rng, facts.people), "pet"))
    return units


def story_document(facts, rng):
    return [_story_unit(facts, rng) for _ in range(int(rng.integers(3, 7)))]


DOCUMENT_KINDS = ((person_document, 0.25), (country_document, 0.1), (review_document, 0.2),
                  (animal_document, 0.15), (story_document, 0.3))


def document(facts, rng):
    """One document as a list of at least two sentences (held-out units left out)."""
    sentences = []
    while len(sentences) < 2:
        u, total = rng.random(), 0.0
        for build, weight in DOCUMENT_KINDS:
            total += weight
            if u < total:
                break
        sentences = []
        for unit in build(facts, rng):
            if not is_held_out(unit):
                sentences.extend(split_sentences(unit))
    return sentences
