"""The facts of the toy world (who lives where, which city is a capital) and the sentences that state them.

`build_facts(rng)` draws one consistent world; every document, probe and task of a
`ToyWorld` reads its facts from here, so the capital of a country never changes.
Fact sentences come in two sets of wordings: `FACT_TEMPLATES` are written into the
pretraining corpus, `KNOWLEDGE_PROBE_TEMPLATES` are kept for the probes only.
"""
from dataclasses import dataclass

from . import lexicon as lex

BLANK = "___"


@dataclass(frozen=True)
class Country:
    name: str
    capital: str
    town: str
    language: str


@dataclass(frozen=True)
class Person:
    name: str
    gender: str      # "male" or "female"
    city: str
    job: str
    workplace: str   # an organisation name, or "" for farmers
    pet: str         # singular animal noun
    age: int


@dataclass(frozen=True)
class Facts:
    countries: tuple      # of Country
    people: tuple         # of Person
    restaurants: dict     # restaurant name -> city
    country_of_city: dict

    def country(self, name):
        """The Country called `name`."""
        for c in self.countries:
            if c.name == name:
                return c
        raise KeyError(f"no country called {name!r} in this world")


def pick(rng, options):
    """One element of the sequence `options`, chosen with `rng`."""
    return options[int(rng.integers(len(options)))]


def capitalize(text):
    """Upper-case the first letter only (keeps names such as 'Tarsk' intact)."""
    return text[:1].upper() + text[1:]


def pronoun(gender, case):
    """The pronoun of `gender` ('male'/'female') in `case` ('subj', 'obj', 'pos', 'refl')."""
    return lex.PRONOUNS[gender][case]


def other_gender(gender):
    return "female" if gender == "male" else "male"


def build_facts(rng):
    """Draw a consistent world: countries with capitals, towns and languages; people; restaurants."""
    cities = [lex.CITIES[i] for i in rng.permutation(len(lex.CITIES))]
    languages = [lex.LANGUAGES[i] for i in rng.permutation(len(lex.LANGUAGES))]
    n = len(lex.COUNTRIES)
    countries = tuple(Country(name, cities[i], cities[n + i], languages[i]) for i, name in enumerate(lex.COUNTRIES))
    country_of_city = {}
    for c in countries:
        country_of_city[c.capital] = c.name
        country_of_city[c.town] = c.name
    restaurants = {name: pick(rng, cities) for name in lex.RESTAURANTS}
    restaurants_in = {}
    for name, city in restaurants.items():
        restaurants_in.setdefault(city, []).append(name)

    people = []
    genders = [("male", n) for n in lex.MALE_NAMES] + [("female", n) for n in lex.FEMALE_NAMES]
    jobs = tuple(lex.JOBS)
    for gender, name in genders:
        job = pick(rng, jobs)
        kind = lex.JOBS[job]
        if kind == "restaurant":
            workplace = pick(rng, lex.RESTAURANTS)
            city = restaurants[workplace]
        else:
            city = pick(rng, cities)
            workplace = {"school": f"{city} School", "hospital": f"{city} Hospital",
                         "bank": f"Bank of {country_of_city[city]}", "airline": f"{country_of_city[city]} Air",
                         None: ""}[kind]
        pet = pick(rng, lex.ANIMALS)[0]
        age = int(pick(rng, lex.AGES))
        people.append(Person(name, gender, city, job, workplace, pet, age))
    return Facts(countries, tuple(people), restaurants, country_of_city)


def workplace_phrase(person):
    """How a sentence names the workplace: restaurants take 'the' ('the Blue Fork')."""
    if person.workplace in lex.RESTAURANTS:
        return "the " + person.workplace
    return person.workplace


# Corpus wordings of each relation. {c} country, {cap} capital, {t} town, {lang} language,
# {p} person, {city}, {job}, {pet}, {pos} possessive pronoun, {age}, {work} workplace.
FACT_TEMPLATES = {
    "capital": ("{cap} is the capital of {c}.", "{c} has its capital in {cap}.",
                "The government of {c} sits in {cap}.", "The biggest city of {c} is {cap}."),
    "language": ("People in {c} speak {lang}.", "{lang} is the language of {c}.",
                 "Children in {c} learn {lang} at school."),
    "town": ("{t} is a small town in {c}.", "The town of {t} lies in {c}.", "Many farmers live near {t} in {c}."),
    "city": ("{p} lives in {city}.", "{p} has a house in {city}.", "{p} was born in {city} and still lives there."),
    "job": ("{p} is a {job}.", "{p} has been a {job} for years."),
    "pet": ("{p} has a {pet}.", "{p} feeds {pos} {pet} every morning."),
    "age": ("{p} is {age} years old.",),
    "work": ("{p} works at {work}.",),
    "farm": ("{p} works on a farm near {city}.",),
}

# Wordings used only by the knowledge probes (never written into the corpus).
KNOWLEDGE_PROBE_TEMPLATES = {
    "capital": ("The capital of {c} is ___.", "The capital city of {c} is called ___."),
    "language": ("The language spoken in {c} is ___.", "Most people in {c} speak ___."),
    "town": ("{t} is a town in the country of ___.", "The town of {t} is part of ___."),
    "city": ("The home of {p} is in ___.", "{p} goes home to ___ every night."),
    "job": ("{p} works as a ___.", "{p} earns a living as a ___."),
    "pet": ("The pet of {p} is a ___.", "{p} takes care of a ___ at home."),
}


def country_slots(country):
    return {"c": country.name, "cap": country.capital, "t": country.town, "lang": country.language}


def person_slots(person):
    return {"p": person.name, "city": person.city, "job": person.job, "pet": person.pet, "age": person.age,
            "pos": pronoun(person.gender, "pos"), "work": workplace_phrase(person)}


def country_sentence(rng, country, relation):
    """A corpus sentence stating `relation` ('capital', 'language' or 'town') of `country`."""
    return pick(rng, FACT_TEMPLATES[relation]).format(**country_slots(country))


def person_sentence(rng, person, relation):
    """A corpus sentence stating `relation` ('city', 'job', 'pet', 'age' or 'work') of `person`."""
    if relation == "work" and not person.workplace:
        relation = "farm"
    return pick(rng, FACT_TEMPLATES[relation]).format(**person_slots(person))
