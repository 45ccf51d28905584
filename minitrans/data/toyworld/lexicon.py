"""Word lists of the toy world.

Every word the generator writes comes from these lists or from a sentence template,
which keeps the vocabulary at a few hundred words. Place and language names are
invented and paired at random per seed, so facts about them can only be learnt
from the generated corpus.
"""

MALE_NAMES = ("John", "Tom", "Sam", "Ben", "Leo", "Max", "Jack", "Paul", "Mark", "Dan", "Nick", "Carl")
FEMALE_NAMES = ("Jane", "Mary", "Anna", "Lucy", "Emma", "Kate", "Sara", "Nina", "Rose", "Lily", "Amy", "Eve")

PRONOUNS = {
    "male": {"subj": "he", "obj": "him", "pos": "his", "refl": "himself"},
    "female": {"subj": "she", "obj": "her", "pos": "her", "refl": "herself"},
}

COUNTRIES = ("Zembla", "Borovia", "Kalandor", "Tavaria", "Morvana", "Quellon",
             "Sardovia", "Veltria", "Drovania", "Nurelia", "Yarvonia", "Cantavia")
# 24 city names: each seed makes 12 of them capitals and 12 of them towns.
CITIES = ("Tarsk", "Belmor", "Mirra", "Pelgrad", "Orvik", "Sumai", "Dresk", "Lunel",
          "Marro", "Kavo", "Zelt", "Ibsa", "Orlo", "Kesh", "Tuvo", "Sorn", "Lisk", "Brae",
          "Ulma", "Gorm", "Pess", "Rilt", "Domo", "Hollin")
LANGUAGES = ("Ostic", "Valen", "Murish", "Tolan", "Kesic", "Parvic",
             "Ilmic", "Dorsh", "Venic", "Saroan", "Lutic", "Abrin")
RESTAURANTS = ("Blue Fork", "Red Lantern", "Golden Spoon", "Green Table",
               "Silver Pan", "Old Oak", "Happy Duck", "Little Pear")

# job -> kind of workplace ("restaurant", "school", "hospital", "bank", "airline", None = a farm)
JOBS = {"cook": "restaurant", "waiter": "restaurant", "teacher": "school", "doctor": "hospital",
        "nurse": "hospital", "banker": "bank", "pilot": "airline", "farmer": None}
AGES = tuple(range(20, 75, 5))

# (singular, plural)
ANIMALS = (("cat", "cats"), ("dog", "dogs"), ("horse", "horses"), ("bird", "birds"), ("rabbit", "rabbits"),
           ("fox", "foxes"), ("duck", "ducks"), ("goat", "goats"), ("mouse", "mice"), ("pig", "pigs"),
           ("cow", "cows"), ("hen", "hens"))
RELATIVES = (("sister", "sisters"), ("brother", "brothers"), ("mother", "mothers"), ("father", "fathers"),
             ("friend", "friends"), ("neighbor", "neighbors"), ("teacher", "teachers"), ("uncle", "uncles"),
             ("aunt", "aunts"), ("cousin", "cousins"))

# Agreement: (singular form, plural form)
BE_PRESENT = ("is", "are")
BE_PAST = ("was", "were")
BE_PREDICATES = ("sleeping", "hungry", "tired", "happy", "small", "big", "quiet", "loud",
                 "outside", "playing", "eating", "hiding")
LEXICAL_VERBS = (("sleeps", "sleep"), ("runs", "run"), ("eats", "eat"), ("plays", "play"), ("hides", "hide"))
VERB_COMPLEMENTS = ("all day", "in the garden", "at night", "near the river", "every morning")

# Commonsense: each cause leads to exactly one state, each state to one typical action.
CAUSES = {
    "sad": ("lost {pos} keys", "broke {pos} phone", "failed the test"),
    "happy": ("won the game", "found a coin", "got a gift"),
    "tired": ("ran all day", "worked all night", "did not sleep"),
    "hungry": ("did not eat lunch", "skipped breakfast", "had no dinner"),
    "wet": ("walked in the rain", "fell in the river", "got caught in a storm"),
    "cold": ("forgot {pos} coat", "played in the snow", "left the window open"),
    "scared": ("heard a loud noise", "saw a big bear", "watched a scary movie"),
    "late": ("missed the bus", "woke up too late", "took the wrong train"),
}
ACTIONS = {"sad": "cried", "happy": "smiled", "tired": "went to bed", "hungry": "ate a sandwich",
           "wet": "changed {pos} clothes", "cold": "put on a sweater", "scared": "ran away",
           "late": "took a taxi"}
GENERIC_AGENTS = (("the boy", "male"), ("the girl", "female"), ("the man", "male"), ("the woman", "female"),
                  ("my brother", "male"), ("my sister", "female"), ("my father", "male"), ("my mother", "female"),
                  ("my uncle", "male"), ("my aunt", "female"))

# Numbers
MONEY_OPS = (("won", 1), ("found", 1), ("lost", -1), ("spent", -1))
FOOD_ITEMS = ("apples", "cookies", "eggs", "plums")

# Reviews: aspect groups with (phrase, is_plural) and their positive / negative adjectives.
ASPECTS = {
    "food": (("the food", False), ("the soup", False), ("the pizza", False), ("the fish", False),
             ("the desserts", True)),
    "people": (("the staff", False), ("the service", False), ("the waiters", True)),
    "place": (("the place", False), ("the room", False)),
    "price": (("the prices", True),),
}
ADJECTIVES = {
    "food": {1: ("tasty", "fresh", "great", "good", "lovely"), -1: ("bland", "cold", "awful", "bad", "terrible")},
    "people": {1: ("friendly", "kind", "quick", "great", "good"), -1: ("rude", "slow", "awful", "bad", "terrible")},
    "place": {1: ("lovely", "nice", "clean", "quiet"), -1: ("dirty", "loud", "awful", "bad")},
    "price": {1: ("low", "fair"), -1: ("high", "crazy")},
}
INTENSIFIERS = ("very", "really")
FIXED_CLAUSES = {1: ("it is worth the wait", "I would come back", "we loved it"),
                 -1: ("it is not worth an hour wait", "I will not come back", "we waited an hour")}

# Events used for paraphrase and similarity.
GIFTS = ("a book", "a pen", "a hat", "a cake", "a ball", "a cup", "a bag", "a coat")
PERSON_VERBS = ("called", "visited", "helped", "invited", "thanked")   # past tense = participle
FOODS = ("the soup", "the cake", "the fish", "the rice", "the bread", "the pizza")
THINGS = ("the hat", "the cup", "the bag", "the coat", "the ball", "the bike")
# verb -> (past participle, object classes it takes)
EVENT_VERBS = {"cooked": ("cooked", ("food",)), "ate": ("eaten", ("food",)), "bought": ("bought", ("food", "thing")),
               "found": ("found", ("thing",)), "lost": ("lost", ("thing",)), "washed": ("washed", ("thing",))}
PLACES = ("in the kitchen", "in the garden", "at the park", "at the market", "at school")
TIMES = ("yesterday", "today", "on Monday", "on Friday", "in the morning", "at night")
