"""The fixed vocabularies of the default taxonomy (see the taxonomy spec).

These ids are a contract shared by the index, the digest, exports and evaluations: change them only
together with a schema version bump.
"""

from typing import Final

COUNTRIES: Final = ("RS", "HR", "BA", "ME", "MK", "AL", "XK")

COUNTRY_NAMES: Final = {
    "RS": "Serbia",
    "HR": "Croatia",
    "BA": "Bosnia and Herzegovina",
    "ME": "Montenegro",
    "MK": "North Macedonia",
    "AL": "Albania",
    "XK": "Kosovo",
}

#: Languages a source may declare (ISO 639; cnr is Montenegrin).
SOURCE_LANGUAGES: Final = ("sr", "hr", "bs", "cnr", "mk", "sq", "ru", "en")

#: Languages the analyser may assign; "other" covers everything outside the region's set.
ITEM_LANGUAGES: Final = (*SOURCE_LANGUAGES, "other")

SCRIPTS: Final = ("Cyrl", "Latn")
ITEM_SCRIPTS: Final = (*SCRIPTS, "other")

SOURCE_TYPES: Final = ("news", "telegram")

NARRATIVE_IDS: Final = (
    "west-hostile",
    "eu-futility",
    "russia-china-saviour",
    "ukraine-war-kremlin-framing",
    "imminent-conflict-fear",
    "foreign-agents-colour-revolution",
    "election-manipulation",
    "health-conspiracy",
    "migrant-threat",
    "gender-ideology-threat",
    "historical-revisionism",
)

ACTOR_TYPES: Final = (
    "person",
    "party",
    "government",
    "foreign-state",
    "international-org",
    "media",
    "ngo",
    "armed-group",
    "religious-org",
)

#: Tags a source may carry in the sources registry.
SOURCE_TAGS: Final = (
    "public-broadcaster",
    "news-agency",
    "commercial",
    "tabloid",
    "portal",
    "television",
    "newspaper",
    "weekly",
    "radio",
    "foreign-state-media",
    "foreign-funded-media",
    "independent",
    "investigative",
    "fact-checker",
    "pro-government",
    "opposition",
    "nationalist",
    "pro-kremlin",
    "regional-network",
    "minority-language",
    "telegram-channel",
    "politician",
    "party-channel",
)

#: Verdicts an analyst can give an item.
LABEL_VERDICTS: Final = ("confirmed", "rejected", "uncertain")
