"""Word features for the named-entity model that see through BCMS inflection.

spaCy's hash embedding reads lexeme attributes. Its defaults (NORM = lower case, PREFIX = first letter)
give every case form of a name its own row: *Vučić*, *Vučića*, *Vučiću* and *Vučićem* share nothing but
the shape, and a name seen once in training in the genitive is a stranger in the dative. The callback
registered here, named in the model's ``[nlp.after_creation]`` config, changes two attributes:

- NORM becomes the simplemma lemma (Serbo-Croatian dictionary, lower case): the case forms of a known
  word share one row;
- PREFIX becomes the first five letters, lower case: a rough stem, which also covers names no dictionary
  knows.

The attributes are computed once per distinct word form (spaCy caches lexemes in the vocabulary). The
module must be imported before a model that names the callback is loaded; ``nlp.ner`` does so.
"""

from collections.abc import Callable
from typing import Any, Final

from nlp.lemmas import lemma_of

#: The registered name of the callback, as written in the model's config.
STEM_FEATURES: Final = "hybridwatch.ner_stem_features.v1"
#: Letters kept by the PREFIX attribute.
STEM_LENGTH: Final = 5


def lemma_norm(form: str) -> str:
    """The lower-case Serbo-Croatian lemma of a word form (the lower-cased form when unknown)."""
    if not any(char.isalpha() for char in form):
        return form.lower()
    return lemma_of(form, "hr")


def stem_prefix(form: str) -> str:
    """The first letters of the lower-cased form: a stem shared by most case forms of a name."""
    return form[:STEM_LENGTH].lower()


def _install_stem_features(nlp: Any) -> Any:
    from spacy.attrs import NORM, PREFIX

    nlp.vocab.lex_attr_getters[NORM] = lemma_norm
    nlp.vocab.lex_attr_getters[PREFIX] = stem_prefix
    return nlp


def register() -> None:
    """Register the callback with spaCy (idempotent)."""
    import spacy

    if STEM_FEATURES not in spacy.registry.callbacks:

        @spacy.registry.callbacks(STEM_FEATURES)
        def make_stem_features() -> Callable[[Any], Any]:
            return _install_stem_features
