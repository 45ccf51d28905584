"""Events (who did what to whom, where and when) and the several ways of saying each one.

Two kinds of frames:
- role events ('John gave Mary a book' = 'Mary got a book from John'), whose paraphrases
  swap active and passive voice; swapping the roles keeps the words but changes the meaning.
- scene events (agent, verb, object, place, time), whose similarity is the weighted share
  of slots two scenes have in common.
"""
from dataclasses import dataclass

from . import lexicon as lex
from .facts import capitalize, pick

ROLE_FORMS = {
    "give": ("{a} gave {b} {x}.", "{a} gave {x} to {b}.", "{b} got {x} from {a}.", "{b} was given {x} by {a}."),
    "sell": ("{a} sold {x} to {b}.", "{b} bought {x} from {a}.", "{X} was sold to {b} by {a}."),
    "person": ("{a} {x} {b}.", "{b} was {x} by {a}."),
    "chase": ("The {a} chased the {b}.", "The {b} was chased by the {a}."),
}


@dataclass(frozen=True)
class RoleEvent:
    kind: str   # a key of ROLE_FORMS
    a: str      # the doer
    b: str      # the one done to
    x: str      # the thing given / sold, or the verb of a 'person' event

    def render(self, form):
        return ROLE_FORMS[self.kind][form].format(a=self.a, b=self.b, x=self.x, X=capitalize(self.x))

    def swapped(self):
        return RoleEvent(self.kind, self.b, self.a, self.x)


def role_event(facts, rng):
    """A random role event between two people (or two animals for 'chase')."""
    kind = pick(rng, tuple(ROLE_FORMS))
    if kind == "chase":
        a, b = (lex.ANIMALS[i][0] for i in rng.permutation(len(lex.ANIMALS))[:2])
    else:
        a, b = (facts.people[i].name for i in rng.permutation(len(facts.people))[:2])
    if kind == "person":
        x = pick(rng, lex.PERSON_VERBS)
    elif kind == "chase":
        x = ""
    else:
        x = pick(rng, lex.GIFTS)
    return RoleEvent(kind, a, b, x)


def changed_role_event(facts, rng, event):
    """An event that differs from `event` in one participant or in what happened."""
    while True:
        other = role_event(facts, rng)
        if other.kind != event.kind or other == event or other == event.swapped():
            continue
        what = pick(rng, ("a", "b", "x") if event.kind != "chase" else ("a", "b"))
        changed = RoleEvent(event.kind, *(getattr(other if f == what else event, f) for f in ("a", "b", "x")))
        if changed.a != changed.b and changed != event:
            return changed


def n_forms(event):
    return len(ROLE_FORMS[event.kind])


# ---------------------------------------------------------------- scenes
SCENE_WEIGHTS = {"agent": 1.5, "verb": 1.5, "obj": 1.0, "place": 0.5, "time": 0.5}   # sums to 5


@dataclass(frozen=True)
class Scene:
    agent: str
    verb: str
    obj: str
    place: str
    time: str

    def render(self, form):
        """form 0: active, time last; 1: time first; 2: passive."""
        if form == 0:
            return f"{self.agent} {self.verb} {self.obj} {self.place} {self.time}."
        if form == 1:
            return f"{capitalize(self.time)}, {self.agent} {self.verb} {self.obj} {self.place}."
        participle = lex.EVENT_VERBS[self.verb][0]
        return f"{capitalize(self.obj)} was {participle} by {self.agent} {self.place} {self.time}."


def _objects(kind):
    return lex.FOODS if kind == "food" else lex.THINGS


def _verbs_for(obj):
    kind = "food" if obj in lex.FOODS else "thing"
    return tuple(v for v, (_, kinds) in lex.EVENT_VERBS.items() if kind in kinds)


def scene(facts, rng):
    obj = pick(rng, _objects(pick(rng, ("food", "thing"))))
    return Scene(pick(rng, facts.people).name, pick(rng, _verbs_for(obj)), obj, pick(rng, lex.PLACES),
                 pick(rng, lex.TIMES))


def changed_scene(facts, rng, base, slots):
    """A scene that differs from `base` in exactly the slots named in `slots`."""
    new = dict(agent=base.agent, verb=base.verb, obj=base.obj, place=base.place, time=base.time)
    if "agent" in slots:
        new["agent"] = pick(rng, [p.name for p in facts.people if p.name != base.agent])
    if "place" in slots:
        new["place"] = pick(rng, [x for x in lex.PLACES if x != base.place])
    if "time" in slots:
        new["time"] = pick(rng, [x for x in lex.TIMES if x != base.time])
    if "obj" in slots:
        new["obj"] = pick(rng, [x for x in lex.FOODS + lex.THINGS if x != base.obj])
    verbs = _verbs_for(new["obj"])
    if "verb" in slots:
        new["verb"] = pick(rng, [v for v in verbs if v != base.verb])
    elif base.verb not in verbs:
        # the new object does not go with the old verb ('ate the bike'): change the object within its kind
        kind = "food" if base.obj in lex.FOODS else "thing"
        new["obj"] = pick(rng, [x for x in _objects(kind) if x != base.obj])
    return Scene(**new)


def scene_similarity(s1, s2):
    """Graded similarity in [0, 5]: the summed weights of the slots the two scenes share."""
    return float(round(sum(w for slot, w in SCENE_WEIGHTS.items() if getattr(s1, slot) == getattr(s2, slot)), 2))
