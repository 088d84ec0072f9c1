"""Narrative scoring: lexicon rules, a sparse lemma classifier, similarity to exemplars, and a classifier
head on embeddings.

For each narrative the combined score is::

    score = (W_LEXICON * lexicon * (1 - d) + W_SPARSE * sparse + W_SIMILARITY * similarity
             + W_HEAD * head) * (1 - d')

- ``lexicon``: noisy-or of the weights of the rules that matched (lemma/word stems within a window);
- ``d`` = ``DISTANCING_PENALTY`` and ``d'`` = ``DISTANCING_SCORE_PENALTY`` when the text carries cues of
  reporting or rebutting ("fact-check", "tvrdi", "dezinformacija"), else 0: a narrative is tagged only
  when the text advances it;
- ``sparse``: the probability of a logistic regression on TF-IDF lemma features (``SparseHead``): lemmas,
  five-letter lemma stems and lemma bigrams, folded to Latin without diacritics. It costs no embedding;
- ``similarity``: the best cosine similarity to the narrative's exemplars, rescaled so that the typical
  similarity of unrelated text (``SIMILARITY_FLOOR``) is 0 and that of a paraphrase
  (``SIMILARITY_CEILING``) is 1;
- ``head``: the probability of a logistic-regression head on the embedding (``NarrativeHead``).

Both heads are trained by ``hybridwatch train`` on the registry's exemplars and labelled items. On
eval/dev.jsonl with the heads trained on eval/train.jsonl and every item embedded, the weights (0.2, 0.35,
0.1, 0.35) gave two-fold macro-F1 0.78, against 0.70 for the rules plus the embedding head alone and 0.76
for the rules plus the sparse head alone (docs/decisions.md, "Narratives").

Embedding is the expensive step (about 0.1 s per 200-character lead on one core; cost grows with the
length), so only the lead is embedded, and only when the sparse head gives some narrative at least
``embed_gate`` (0.4), or a rule matched a narrative to which the sparse head gives at least
``embed_gate_with_rule`` (0.15): on the benchmark's news-sentence articles one in 33 and posts one in 88
(a rule's match alone embedded one in 18 and one in 56); on the dev set, where most items carry a
narrative, about three items in five. On the dev set no decision changed with the second condition, and
none up to 0.2; the lowest agreement at which embedding changed a dev decision was 0.21. Against 400-character
leads and a gate of 0.3 this cost 0.02 two-fold macro-F1 on the dev set and made analysis several times
faster. Near-duplicates share one embedding. An item that is not
embedded scores 0 on the two embedding components. ``embed_all`` embeds every item. Without an encoder
the rules and the sparse head are rescaled to the full range; without either head (lexicon-only mode)
the score is ``lexicon * (1 - LEXICON_ONLY_DISTANCING_PENALTY)`` when distancing cues are present. A
narrative is reported when its score reaches its threshold from ``config/narratives.yaml``; the result
names the components that contributed (``method``) and the matched phrases, the heads' probabilities and
the nearest exemplar (``evidence``).
"""

import bisect
import hashlib
import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np

from nlp.lemmas import LEMMA_CACHE_SIZE, lemma_of
from nlp.translit import fold_for_search, fold_word

log = logging.getLogger(__name__)

W_LEXICON: Final = 0.2
W_SPARSE: Final = 0.35
W_SIMILARITY: Final = 0.1
W_HEAD: Final = 0.35
#: Cosine similarity (multilingual-e5-small) of unrelated news to an exemplar, and of a close
#: paraphrase; measured on the exemplars and counterexamples of config/narratives.yaml.
SIMILARITY_FLOOR: Final = 0.85
SIMILARITY_CEILING: Final = 0.93
DISTANCING_PENALTY: Final = 0.3
DISTANCING_SCORE_PENALTY: Final = 0.3
#: Without the head, the distancing cues are the only defence against rebuttals: they nearly veto.
LEXICON_ONLY_DISTANCING_PENALTY: Final = 0.7
#: Characters of title + text embedded: the lead carries the framing, and cost grows with length
#: (200 lost 0.01 two-fold macro-F1 against 400 on the dev set, at half the cost).
EMBED_MAX_CHARS: Final = 200
#: Lead embeddings kept per process (384 floats each: 10,000 take 15 MB).
EMBEDDING_CACHE_SIZE: Final = 10_000
HEAD_PATH: Final = Path(__file__).resolve().parent / "models" / "narrative-head.npz"
EXEMPLAR_CACHE_DIR: Final = Path(__file__).resolve().parent / "models"
BCMS: Final = ("sr", "hr", "bs", "cnr")


# --- lexicon rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    alternatives: tuple[tuple[str, bool], ...]  # (folded stem, is prefix)


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready to match: terms that must all occur within ``window`` tokens."""

    narrative_id: str
    terms: tuple[_Term, ...]
    weight: float
    window: int
    source: str  # the rule as written, for evidence


def _compile_term(term: str) -> _Term:
    alternatives = []
    for alt in term.split("|"):
        alt = alt.strip()
        prefix = alt.endswith("*")
        folded = " ".join(fold_for_search(alt.rstrip("*")).split())
        if folded:
            alternatives.append((folded, prefix))
    return _Term(tuple(alternatives))


def compile_rule(narrative_id: str, terms: Sequence[str], weight: float, window: int) -> CompiledRule:
    """Compile a rule's terms (``stem*`` prefix, ``a|b`` alternatives, folded)."""
    return CompiledRule(narrative_id, tuple(_compile_term(t) for t in terms), weight, window, " ".join(terms))


@lru_cache(maxsize=LEMMA_CACHE_SIZE)
def _folded_forms(token: str, lang: str) -> tuple[str, str]:
    """A token's folded word and folded lemma (cached: word forms repeat heavily across news)."""
    return fold_word(token), fold_word(lemma_of(token, lang))


@dataclass
class TokenView:
    """A text's tokens with their folded words and lemmas, indexed for prefix look-up."""

    surfaces: list[str]
    lemmas: list[str]  # folded lemma of each token, in order
    forms: list[str]  # sorted unique folded words and lemmas
    positions: dict[str, list[int]]
    #: Positions per term already looked up: rules share terms, and every rule is tried on every text.
    _found: dict[_Term, list[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, tokens: Sequence[str], lang: str) -> "TokenView":
        positions: dict[str, list[int]] = {}
        lemmas = []
        for index, token in enumerate(tokens):
            folded, lemma = _folded_forms(token, lang)
            lemmas.append(lemma)
            positions.setdefault(folded, []).append(index)
            if lemma != folded:
                positions.setdefault(lemma, []).append(index)
        return cls(list(tokens), lemmas, sorted(positions), positions)

    def rule_keys(self) -> set[str]:
        """Leading characters (``RULE_KEY_CHARS``) of every folded word and lemma of the text."""
        return {form[:RULE_KEY_CHARS] for form in self.forms}

    def term_positions(self, term: _Term) -> list[int]:
        known = self._found.get(term)
        if known is None:
            known = self._found[term] = self._term_positions(term)
        return known

    def _term_positions(self, term: _Term) -> list[int]:
        found: set[int] = set()
        for stem, prefix in term.alternatives:
            if " " in stem:  # a multi-word alternative: every word in sequence
                found.update(self._phrase_positions(stem.split(), prefix))
                continue
            if not prefix:
                found.update(self.positions.get(stem, ()))
                continue
            at = bisect.bisect_left(self.forms, stem)
            while at < len(self.forms) and self.forms[at].startswith(stem):
                found.update(self.positions[self.forms[at]])
                at += 1
        return sorted(found)

    def _phrase_positions(self, words: list[str], prefix: bool) -> list[int]:
        starts = self.term_positions(_Term(((words[0], False),)))
        out = []
        for start in starts:
            ok = True
            for offset, word in enumerate(words[1:], start=1):
                last = offset == len(words) - 1
                hits = self.term_positions(_Term(((word, prefix and last),)))
                if start + offset not in hits:
                    ok = False
                    break
            if ok:
                out.append(start)
        return out


def match_rule(rule: CompiledRule, view: TokenView) -> str | None:
    """Return the matched text span if every term occurs within the rule's window, else None."""
    hits = []
    for term in rule.terms:
        positions = view.term_positions(term)
        if not positions:  # most rules fail on their first term: stop there
            return None
        hits.append(positions)
    for anchor in hits[0]:
        chosen = [anchor]
        for positions in hits[1:]:
            near = [p for p in positions if abs(p - anchor) <= rule.window]
            if not near:
                break
            chosen.append(min(near, key=lambda p: abs(p - anchor)))
        else:
            low, high = min(chosen), max(chosen)
            return " ".join(view.surfaces[low : high + 1])
    return None


#: Leading characters of a folded word under which rules are indexed (see ``RuleIndex``).
RULE_KEY_CHARS: Final = 3


@dataclass(frozen=True)
class RuleIndex:
    """Rules indexed by the leading characters of their first term, so that a text is matched only
    against the rules whose first term can occur in it (most rules fail there, and there are hundreds)."""

    rules: tuple[CompiledRule, ...]
    by_key: dict[str, tuple[int, ...]]
    #: Rules with a first-term alternative shorter than the key: always tried.
    always: frozenset[int]

    @classmethod
    def build(cls, rules: Sequence[CompiledRule]) -> "RuleIndex":
        by_key: dict[str, list[int]] = {}
        always: set[int] = set()
        for at, rule in enumerate(rules):
            for stem, _ in rule.terms[0].alternatives:
                word = stem.split()[0]
                if len(word) < RULE_KEY_CHARS:
                    always.add(at)
                else:
                    by_key.setdefault(word[:RULE_KEY_CHARS], []).append(at)
        return cls(tuple(rules), {key: tuple(ats) for key, ats in by_key.items()}, frozenset(always))

    def candidates(self, view: "TokenView") -> list[CompiledRule]:
        """The rules, in registry order, whose first term may match a word or lemma of the text."""
        found = set(self.always)
        for key in view.rule_keys():
            found.update(self.by_key.get(key, ()))
        return [self.rules[at] for at in sorted(found)]


def has_any_term(rules: Iterable[CompiledRule], view: TokenView) -> bool:
    """True if at least one term of any rule occurs: the text touches a narrative's topic at all."""
    return any(view.term_positions(term) for rule in rules for term in rule.terms)


# --- classifier head -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NarrativeHead:
    """One-vs-rest logistic regression on embeddings; stored as ``.npz`` without pickle."""

    narrative_ids: tuple[str, ...]
    coef: np.ndarray  # (n_narratives, dim)
    intercept: np.ndarray
    encoder: str
    trained_on: str  # description of the training data (sizes, hash)

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        logits = embeddings @ self.coef.T + self.intercept
        return 1.0 / (1.0 + np.exp(-logits))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            narrative_ids=np.array(self.narrative_ids),
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            encoder=np.array(self.encoder),
            trained_on=np.array(self.trained_on),
        )

    @classmethod
    def load(cls, path: Path) -> "NarrativeHead":
        with np.load(path, allow_pickle=False) as data:
            return cls(
                narrative_ids=tuple(str(n) for n in data["narrative_ids"]),
                coef=data["coef"].astype(np.float32),
                intercept=data["intercept"].astype(np.float32),
                encoder=str(data["encoder"]),
                trained_on=str(data["trained_on"]),
            )


#: Inverse regularisation of the head; small data, so strong regularisation (C=1 beat 0.1 and 10
#: on leave-one-language-out checks over the exemplars).
HEAD_C: Final = 1.0


def train_head(
    embeddings: np.ndarray, labels: Sequence[Sequence[str]], narrative_ids: Sequence[str], encoder: str
) -> NarrativeHead:
    """Fit one balanced logistic regression per narrative (items without it are its negatives)."""
    from sklearn.linear_model import LogisticRegression

    coefs, intercepts = [], []
    for narrative_id in narrative_ids:
        target = np.array([narrative_id in item for item in labels], dtype=int)
        if target.sum() == 0 or target.sum() == len(target):
            coefs.append(np.zeros(embeddings.shape[1]))
            intercepts.append(-5.0)
            continue
        model = LogisticRegression(C=HEAD_C, class_weight="balanced", max_iter=2000)
        model.fit(embeddings, target)
        coefs.append(model.coef_[0])
        intercepts.append(float(model.intercept_[0]))
    digest = hashlib.sha256(json.dumps([list(x) for x in labels]).encode()).hexdigest()[:12]
    return NarrativeHead(
        narrative_ids=tuple(narrative_ids),
        coef=np.array(coefs, dtype=np.float32),
        intercept=np.array(intercepts, dtype=np.float32),
        encoder=encoder,
        trained_on=f"{len(labels)} texts, labels sha256:{digest}",
    )


# --- sparse head: logistic regression on lemma features ----------------------------------------------

#: Folded-lemma prefix length used as a crude stem: it carries a word across inflection and across the
#: BCMS varieties (and Latin/Cyrillic, since lemmas are folded to Latin).
STEM_CHARS: Final = 5
#: Inverse regularisation of the sparse head (C=4 beat 1 and 16 two-fold on the dev set).
SPARSE_HEAD_C: Final = 4.0
SPARSE_HEAD_PATH: Final = Path(__file__).resolve().parent / "models" / "narrative-sparse-head.npz"


def sparse_features(view: TokenView) -> list[str]:
    """Features of a text for the sparse head: lemmas, lemma stems and lemma bigrams."""
    features = []
    previous = None
    for lemma in view.lemmas:
        features.append("l:" + lemma)
        if len(lemma) > STEM_CHARS:
            features.append("p:" + lemma[:STEM_CHARS])
        if previous is not None:
            features.append(f"b:{previous}_{lemma}")
        previous = lemma
    return features


@dataclass(frozen=True)
class SparseHead:
    """One-vs-rest logistic regression on TF-IDF lemma features; ``.npz`` without pickle.

    It needs no embedding, so it scores every item cheaply and decides which items are worth embedding.
    TF-IDF is computed as scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` does: (1 + log tf) * idf,
    L2-normalised; features unseen in training are ignored.
    """

    narrative_ids: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # (n_narratives, n_features)
    intercept: np.ndarray
    trained_on: str

    def vectorise(self, features: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return (feature indexes, TF-IDF weights) of one text."""
        counts: dict[int, int] = {}
        for feature in features:
            index = self.vocabulary.get(feature)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        indexes = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        weights = (1.0 + np.log(tf)) * self.idf[indexes]
        norm = np.linalg.norm(weights)
        return indexes, (weights / norm if norm else weights)

    def probabilities(self, feature_lists: Sequence[Sequence[str]]) -> np.ndarray:
        out = np.empty((len(feature_lists), len(self.narrative_ids)), dtype=np.float64)
        for row, features in enumerate(feature_lists):
            indexes, weights = self.vectorise(features)
            logits = self.coef[:, indexes] @ weights + self.intercept
            out[row] = 1.0 / (1.0 + np.exp(-logits))
        return out

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        names = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        np.savez_compressed(
            path,
            narrative_ids=np.array(self.narrative_ids),
            features=np.array(names),
            idf=self.idf.astype(np.float32),
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            trained_on=np.array(self.trained_on),
        )

    @classmethod
    def load(cls, path: Path) -> "SparseHead":
        with np.load(path, allow_pickle=False) as data:
            return cls(
                narrative_ids=tuple(str(n) for n in data["narrative_ids"]),
                vocabulary={str(f): i for i, f in enumerate(data["features"])},
                idf=data["idf"].astype(np.float64),
                coef=data["coef"].astype(np.float64),
                intercept=data["intercept"].astype(np.float64),
                trained_on=str(data["trained_on"]),
            )


def train_sparse_head(
    feature_lists: Sequence[Sequence[str]], labels: Sequence[Sequence[str]], narrative_ids: Sequence[str]
) -> SparseHead:
    """Fit TF-IDF plus one balanced logistic regression per narrative."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=list, sublinear_tf=True)
    matrix = vectorizer.fit_transform(feature_lists)
    coefs, intercepts = [], []
    for narrative_id in narrative_ids:
        target = np.array([narrative_id in item for item in labels], dtype=int)
        if target.sum() == 0 or target.sum() == len(target):
            coefs.append(np.zeros(matrix.shape[1]))
            intercepts.append(-5.0)
            continue
        model = LogisticRegression(C=SPARSE_HEAD_C, class_weight="balanced", max_iter=3000)
        model.fit(matrix, target)
        coefs.append(model.coef_[0])
        intercepts.append(float(model.intercept_[0]))
    digest = hashlib.sha256(json.dumps([list(x) for x in labels]).encode()).hexdigest()[:12]
    return SparseHead(
        narrative_ids=tuple(narrative_ids),
        vocabulary={str(name): i for i, name in enumerate(vectorizer.get_feature_names_out())},
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        coef=np.array(coefs, dtype=np.float64),
        intercept=np.array(intercepts, dtype=np.float64),
        trained_on=f"{len(labels)} texts, labels sha256:{digest}",
    )


# --- the scorer ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NarrativeResult:
    """A narrative at or above its threshold, with method and evidence (the NarrativeScore shape)."""

    id: str
    score: float
    method: str
    evidence: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "score": self.score, "method": self.method, "evidence": self.evidence}


@dataclass
class NarrativeScorer:
    """Scores texts against the narratives registry; build once per process and reuse."""

    registry: Any  # hybridwatch.config.NarrativeRegistry
    encoder: Any | None = None  # nlp.encoders.Encoder; None = no embeddings
    head: NarrativeHead | None = None
    sparse_head: SparseHead | None = None
    #: Embed every item; otherwise only items a rule matched or the sparse head finds plausible.
    embed_all: bool = False
    #: Sparse-head probability (any narrative) from which an item is embedded.
    embed_gate: float = 0.4
    #: Sparse-head probability, for a narrative that a rule matched, from which the item is embedded.
    embed_gate_with_rule: float = 0.15
    #: Leads per encoder call (bounds memory on large batches).
    embed_batch_size: int = 256
    thresholds: dict[str, float] = field(default_factory=dict)
    _rules: dict[str, list[CompiledRule]] = field(default_factory=dict)
    _distancing: dict[str, list[CompiledRule]] = field(default_factory=dict)
    _indexes: dict[tuple[str, str | None], RuleIndex] = field(default_factory=dict)
    _exemplar_matrix: np.ndarray | None = None
    _embedding_cache: dict[str, np.ndarray] = field(default_factory=dict)
    _exemplar_owner: list[tuple[str, str, str]] = field(default_factory=list)  # (narrative, lang, text)

    def __post_init__(self) -> None:
        for narrative in self.registry:
            self.thresholds.setdefault(narrative.id, narrative.threshold)
            for lang, rules in narrative.rules.items():
                for rule in rules:
                    compiled = compile_rule(narrative.id, rule.terms, rule.weight, rule.window)
                    self._rules.setdefault(lang, []).append(compiled)
        for lang, cues in self.registry.distancing.items():
            self._distancing[lang] = [compile_rule("distancing", cue.split(), 1.0, 3) for cue in cues]
        if self.head is not None and self.encoder is not None and self.head.encoder != self.encoder.name:
            log.warning(
                "narrative head was trained with encoder %s, not %s; head disabled",
                self.head.encoder,
                self.encoder.name,
            )
            self.head = None

    @property
    def version(self) -> str:
        head = self.head.trained_on if self.head else "none"
        sparse = self.sparse_head.trained_on if self.sparse_head else "none"
        encoder = self.encoder.name if self.encoder else "none"
        return f"narratives.v2 encoder={encoder} head=[{head}] sparse=[{sparse}]"

    def rules_for(self, lang: str | None) -> list[CompiledRule]:
        if lang in BCMS:
            return [*self._rules.get("bcms", []), *self._rules.get(lang, [])]
        if lang in self._rules:
            return self._rules[lang]
        return [rule for rules in self._rules.values() for rule in rules]  # unknown language: all

    def distancing_for(self, lang: str | None) -> list[CompiledRule]:
        if lang in BCMS:
            return [*self._distancing.get("bcms", []), *self._distancing.get(lang, [])]
        return self._distancing.get(lang or "", [])

    def exemplar_embeddings(self) -> np.ndarray:
        """Embeddings of every exemplar (cached on disk per encoder and exemplar set)."""
        if self._exemplar_matrix is None:
            assert self.encoder is not None
            owners = [(n.id, e.lang, e.text) for n in self.registry for e in n.exemplars]
            self._exemplar_owner = owners
            self._exemplar_matrix = cached_embeddings(self.encoder, [text for _, _, text in owners])
        return self._exemplar_matrix

    def score_batch(
        self,
        texts: Sequence[str],
        langs: Sequence[str | None],
        share_embedding_with: Sequence[int] | None = None,
    ) -> list[list[NarrativeResult]]:
        """Score texts with their detected languages.

        ``share_embedding_with[i]`` names the item whose embedding item ``i`` reuses (its near-duplicate
        cluster's first member), so a story republished by twenty outlets is embedded once.
        """
        from nlp.lemmas import tokenize

        views = [TokenView.build(tokenize(text), lang or "") for text, lang in zip(texts, langs, strict=True)]
        lexical = [self._lexicon(view, lang) for view, lang in zip(views, langs, strict=True)]
        distanced = [self._distanced(view, lang) for view, lang in zip(views, langs, strict=True)]
        sparse = (
            self.sparse_head.probabilities([sparse_features(view) for view in views])
            if self.sparse_head is not None
            else None
        )
        similarities: dict[int, np.ndarray] = {}
        head_probs: dict[int, np.ndarray] = {}
        if self.encoder is not None:
            shared = share_embedding_with or range(len(texts))
            wanted = [i for i in range(len(texts)) if self._worth_embedding(lexical[i], sparse, i)]
            chosen = sorted({shared[i] for i in wanted})
            if chosen:
                embedded = self.embed_leads([texts[i][:EMBED_MAX_CHARS] for i in chosen])
                sims = embedded @ self.exemplar_embeddings().T
                probs = self.head.probabilities(embedded) if self.head is not None else None
                row_of = {index: row for row, index in enumerate(chosen)}
                for i in wanted:
                    row = row_of[shared[i]]
                    similarities[i] = sims[row]
                    if probs is not None:
                        head_probs[i] = probs[row]
        return [
            self._combine(
                lexical[i],
                distanced[i],
                sparse[i] if sparse is not None else None,
                similarities.get(i),
                head_probs.get(i),
            )
            for i in range(len(texts))
        ]

    def _worth_embedding(
        self, lexical: dict[str, list[tuple[float, str]]], sparse: np.ndarray | None, index: int
    ) -> bool:
        if self.embed_all or sparse is None or self.sparse_head is None:
            return True
        probabilities = sparse[index]
        if probabilities.max() >= self.embed_gate:
            return True
        # A rule's match alone is weak evidence (most rule matches in ordinary news are a shared word, not
        # the narrative); the item is embedded when the sparse head agrees at least a little on that
        # narrative. A narrative the head was not trained on keeps the rule's word.
        known = self.sparse_head.narrative_ids
        return any(
            nid not in known or probabilities[known.index(nid)] >= self.embed_gate_with_rule
            for nid in lexical
        )

    def embed_leads(self, leads: Sequence[str]) -> np.ndarray:
        """Embed leads in batches, reusing the embeddings of leads seen recently (re-analysis, eval)."""
        assert self.encoder is not None
        missing = list(dict.fromkeys(lead for lead in leads if lead not in self._embedding_cache))
        step = self.embed_batch_size
        for at in range(0, len(missing), step):
            chunk = missing[at : at + step]
            for lead, row in zip(chunk, self.encoder.encode(chunk), strict=True):
                if len(self._embedding_cache) >= EMBEDDING_CACHE_SIZE:
                    self._embedding_cache.pop(next(iter(self._embedding_cache)))
                self._embedding_cache[lead] = row
        return np.vstack([self._embedding_cache[lead] for lead in leads])

    def _index(self, kind: str, lang: str | None) -> RuleIndex:
        index = self._indexes.get((kind, lang))
        if index is None:
            rules = self.rules_for(lang) if kind == "narratives" else self.distancing_for(lang)
            index = self._indexes[(kind, lang)] = RuleIndex.build(rules)
        return index

    def _lexicon(self, view: TokenView, lang: str | None) -> dict[str, list[tuple[float, str]]]:
        matched: dict[str, list[tuple[float, str]]] = {}
        for rule in self._index("narratives", lang).candidates(view):
            span = match_rule(rule, view)
            if span is not None:
                matched.setdefault(rule.narrative_id, []).append((rule.weight, span))
        return matched

    def _distanced(self, view: TokenView, lang: str | None) -> list[str]:
        rules = self._index("distancing", lang).candidates(view)
        return [span for rule in rules if (span := match_rule(rule, view)) is not None]

    def _combine(
        self,
        lexical: dict[str, list[tuple[float, str]]],
        distancing: list[str],
        sparse: np.ndarray | None,
        similarity: np.ndarray | None,
        head_probs: np.ndarray | None,
    ) -> list[NarrativeResult]:
        results = []
        for narrative in self.registry:
            nid = narrative.id
            hits = lexical.get(nid, [])
            lexicon = 1.0 - math.prod(1.0 - weight for weight, _ in hits)
            sparse_p = 0.0
            if sparse is not None and self.sparse_head is not None and nid in self.sparse_head.narrative_ids:
                sparse_p = float(sparse[self.sparse_head.narrative_ids.index(nid)])
            sim_score, nearest = 0.0, None
            if similarity is not None:
                best, nearest = self._nearest(nid, similarity)
                sim_score = rescale_similarity(best)
            head = 0.0
            if head_probs is not None and self.head is not None and nid in self.head.narrative_ids:
                head = float(head_probs[self.head.narrative_ids.index(nid)])
            if self.encoder is None and self.sparse_head is None:  # the rules are the whole evidence
                score = lexicon * (1.0 - (LEXICON_ONLY_DISTANCING_PENALTY if distancing else 0.0))
            else:
                lexicon *= 1.0 - (DISTANCING_PENALTY if distancing else 0.0)
                score = W_LEXICON * lexicon + W_SPARSE * sparse_p + W_SIMILARITY * sim_score + W_HEAD * head
                if self.encoder is None:  # no embedding components: rescale what is there
                    score /= W_LEXICON + W_SPARSE
                score *= 1.0 - (DISTANCING_SCORE_PENALTY if distancing else 0.0)
            if score < self.thresholds[nid]:
                continue
            parts = [
                name
                for name, value in (
                    ("lexicon", lexicon),
                    ("sparse", sparse_p),
                    ("embedding", sim_score),
                    ("head", head),
                )
                if value > 0.05
            ]
            evidence = [f"rule: {span}" for span in dict.fromkeys(span for _, span in hits)][:5]
            if sparse is not None and self.sparse_head is not None:
                evidence.append(f"sparse p={sparse_p:.2f}")
            if nearest is not None:
                evidence.append(f"nearest exemplar ({nearest[1]}, cos {nearest[0]:.2f}): {nearest[2][:100]}")
            if head_probs is not None and self.head is not None:
                evidence.append(f"head p={head:.2f}")
            if distancing:
                evidence.append("distancing: " + ", ".join(distancing[:3]))
            results.append(
                NarrativeResult(nid, round(min(score, 1.0), 4), "+".join(parts) or "none", evidence)
            )
        results.sort(key=lambda r: -r.score)
        return results

    def _nearest(self, narrative_id: str, similarity: np.ndarray) -> tuple[float, tuple[float, str, str]]:
        best, best_at = -1.0, -1
        for at, (nid, _, _) in enumerate(self._exemplar_owner):
            if nid == narrative_id and similarity[at] > best:
                best, best_at = float(similarity[at]), at
        _, lang, text = self._exemplar_owner[best_at]
        return best, (best, lang, text)

    def lexicon_only_scores(
        self, texts: Sequence[str], langs: Sequence[str | None]
    ) -> list[dict[str, float]]:
        """Every narrative's score from the lexicon rules alone (the evaluation baseline)."""
        from nlp.lemmas import tokenize

        out = []
        for text, lang in zip(texts, langs, strict=True):
            view = TokenView.build(tokenize(text), lang or "")
            lexical = self._lexicon(view, lang)
            penalty = LEXICON_ONLY_DISTANCING_PENALTY if self._distanced(view, lang) else 0.0
            out.append(
                {
                    nid: (1.0 - math.prod(1.0 - w for w, _ in hits)) * (1.0 - penalty)
                    for nid, hits in lexical.items()
                }
            )
        return out

    def raw_components(self, texts: Sequence[str], langs: Sequence[str | None]) -> list[dict[str, float]]:
        """Return every narrative's combined score (before thresholds), for calibration."""
        saved = dict(self.thresholds)
        try:
            self.thresholds = {nid: 0.0 for nid in saved}
            scored = self.score_batch(texts, langs)
        finally:
            self.thresholds = saved
        return [{r.id: r.score for r in results} for results in scored]


def rescale_similarity(cosine: float) -> float:
    """Map a cosine similarity to 0–1 between ``SIMILARITY_FLOOR`` and ``SIMILARITY_CEILING``."""
    return min(max((cosine - SIMILARITY_FLOOR) / (SIMILARITY_CEILING - SIMILARITY_FLOOR), 0.0), 1.0)


def cached_embeddings(encoder: Any, texts: Sequence[str], cache_dir: Path = EXEMPLAR_CACHE_DIR) -> np.ndarray:
    """Embed texts, reusing a file keyed by the encoder name and the texts (the exemplars rarely change)."""
    key = hashlib.sha256(json.dumps([encoder.name, list(texts)]).encode()).hexdigest()[:16]
    path = cache_dir / f"exemplars-{key}.npy"
    if path.exists():
        cached = np.load(path, allow_pickle=False)
        if cached.shape[0] == len(texts):
            return cached
    matrix = encoder.encode(list(texts))
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.save(path, matrix)
    except OSError as exc:  # a read-only install still works, it only re-embeds on start
        log.info("could not cache exemplar embeddings in %s: %s", cache_dir, exc)
    return matrix


def load_head(path: Path = HEAD_PATH) -> NarrativeHead | None:
    """The trained head, or None (with a log line) when none has been trained."""
    if not path.exists():
        log.warning("no narrative head at %s (run `hybridwatch train`); scoring without it", path)
        return None
    return NarrativeHead.load(path)


def load_sparse_head(path: Path = SPARSE_HEAD_PATH) -> SparseHead | None:
    """The trained sparse head, or None (with a log line) when none has been trained."""
    if not path.exists():
        log.warning("no sparse narrative head at %s (run `hybridwatch train`); scoring without it", path)
        return None
    return SparseHead.load(path)
