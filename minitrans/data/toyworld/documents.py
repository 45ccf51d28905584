"""Pretraining documents of the toy world.

A document is a list of sentences about one subject: a person, a country, a
restaurant visit, some animals, or a short story. It is assembled from units (a
sentence or a short passage). Each labelled task has a kind of unit that exercises
its skill, so that what a task needs can be learnt from the corpus by predicting
the next (or a masked) word:

    task             what in the corpus teaches it
    sentiment        reviews, each closed by its verdict ('Overall, it was good.')
    acceptability    agreement across relative clauses (animal documents)
    paraphrase       events told twice in other words ('In other words, Mary got a book from John.')
    similarity       scenes, also told twice in other words
    entailment       facts about people and places, purchases and feelings
    multiple choice  cause and effect ('Tom lost his keys. He cried.') and counting

Two kinds of text never enter the corpus. A unit whose text is held out for the
probes (see `is_held_out`) is never written, so no probe appears in the corpus; the
facts a knowledge probe asks about are written in other wordings. And no unit
repeats a dev or test input of a task (`in_task_eval`), so that a model is scored
on texts it has not read.
"""
import zlib

from . import events
from . import lexicon as lex
from .facts import capitalize, country_sentence, person_sentence, pick, pronoun
from .sentences import CLOZE_FAMILIES, review, split_sentences, syntax_cloze
from .tasks import split_of

HOLDOUT_MODULUS = 8
RETOLD = "In other words, "


def is_held_out(text):
    """True for about one text in HOLDOUT_MODULUS: such texts may become probes and never enter the corpus."""
    return zlib.crc32(text.encode("utf-8")) % HOLDOUT_MODULUS == 0


def in_task_eval(*inputs):
    """True when the input fields of a task example (e.g. a review, or both sentences of a pair) are
    those of a dev or test example: the corpus leaves such texts out (tasks.split_of decides)."""
    return split_of("\t".join(inputs)) != "train"


def drawn_until(draw, keep):
    """draw() again until keep(result) holds -> the result."""
    while True:
        result = draw()
        if keep(result):
            return result


# ---------------------------------------------------------------- units
def verdict_review(rng):
    """A review of the sentiment task's kind, closed by its verdict: '... Overall, it was good.'"""
    text, label = drawn_until(lambda: review(rng), lambda r: not in_task_eval(r[0]))
    return f"{text} Overall, it was {'good' if label else 'bad'}."


def consequence(facts, rng):
    """What follows from a situation, in the multiple-choice task's form: a cause and the action it leads
    to ('Tom lost his keys. He cried.'), or food counted after eating or buying some."""
    def draw():
        p = pick(rng, facts.people)
        he, his = pronoun(p.gender, "subj"), pronoun(p.gender, "pos")
        if rng.random() < 0.5:
            state = pick(rng, tuple(lex.CAUSES))
            context = f"{p.name} {pick(rng, lex.CAUSES[state]).format(pos=his)}."
            return context, f"{capitalize(he)} {lex.ACTIONS[state].format(pos=his)}."
        item, start, k = pick(rng, lex.FOOD_ITEMS), int(rng.integers(5, 10)), int(rng.integers(1, 4))
        ate = rng.random() < 0.5
        context = f"{p.name} had {start} {item} and {'ate' if ate else 'bought'} {k}."
        return context, f"Now {he} has {start - k if ate else start + k} {item}."
    context, outcome = drawn_until(draw, lambda c: not in_task_eval(c[0]))
    return f"{context} {outcome}"


def retold(first, second):
    """'first In other words, second', second's first letter in lower case unless it starts a name."""
    if second.split(" ", 1)[0] not in lex.MALE_NAMES + lex.FEMALE_NAMES:
        second = second[0].lower() + second[1:]
    return f"{first} {RETOLD}{second}"


def some_event(facts, rng):
    """A role event or a scene, each half of the time -> (event, the number of its wordings)."""
    if rng.random() < 0.5:
        event = events.role_event(facts, rng)
        return event, events.n_forms(event)
    return events.scene(facts, rng), 3


def event_told_twice(facts, rng):
    """A role event or a scene, then the same in another wording (active / passive, 'gave' / 'got from')."""
    def draw():
        event, n_forms = some_event(facts, rng)
        first, second = rng.permutation(n_forms)[:2]
        return event.render(int(first)), event.render(int(second))
    first, second = drawn_until(draw, lambda pair: not in_task_eval(*pair))
    return retold(first, second)


def event_told_once(facts, rng):
    """A role event or a scene in one of its wordings."""
    event, n_forms = some_event(facts, rng)
    return event.render(int(rng.integers(n_forms)))


def _story_unit(facts, rng):
    """One unit of a story: a cloze family sentence, a consequence, or an event told once or twice."""
    choice = rng.random()
    if choice < 0.45:
        family = pick(rng, ("coreference", "commonsense", "numbers"))
        return CLOZE_FAMILIES[family](facts, rng).text
    if choice < 0.65:
        return consequence(facts, rng)
    if choice < 0.8:
        return event_told_once(facts, rng)
    return event_told_twice(facts, rng)


# ---------------------------------------------------------------- documents
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
    """A visit to a restaurant and its review, always closed by the verdict; short, so that a
    pretraining window that starts at the document holds the review and its verdict together."""
    p = pick(rng, facts.people)
    restaurant = pick(rng, lex.RESTAURANTS)
    return [f"{p.name} ate at the {restaurant} in {facts.restaurants[restaurant]}.", verdict_review(rng)]


def animal_document(facts, rng):
    # agreement sentences of the acceptability task's kind, none of its dev/test sentences
    units = [drawn_until(lambda: syntax_cloze(facts, rng).text, lambda text: not in_task_eval(text))
             for _ in range(int(rng.integers(3, 7)))]
    if rng.random() < 0.5:
        units.insert(0, person_sentence(rng, pick(rng, facts.people), "pet"))
    return units


def story_document(facts, rng):
    return [_story_unit(facts, rng) for _ in range(int(rng.integers(3, 7)))]


DOCUMENT_KINDS = ((person_document, 0.2), (country_document, 0.1), (review_document, 0.3),
                  (animal_document, 0.15), (story_document, 0.25))


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
