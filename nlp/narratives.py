"""Narrative scoring: lexicon rules, similarity to exemplars, and a trained classifier head.

For each narrative the combined score is::

    score = (W_LEXICON * lexicon * (1 - d) + W_SIMILARITY * similarity + W_HEAD * head) * (1 - d')

- ``lexicon``: noisy-or of the weights of the rules that matched (lemma/word stems within a window);
- ``d`` = ``DISTANCING_PENALTY`` and ``d'`` = ``DISTANCING_SCORE_PENALTY`` when the text carries cues of
  reporting or rebutting ("fact-check", "tvrdi", "dezinformacija"), else 0: a narrative is tagged only
  when the text advances it (0.3 and 0.3 did best of the 0–0.8 pairs tried, two-fold on the dev set);
- ``similarity``: the best cosine similarity to the narrative's exemplars, rescaled so that the typical
  similarity of unrelated text (``SIMILARITY_FLOOR``) is 0 and that of a paraphrase
  (``SIMILARITY_CEILING``) is 1;
- ``head``: the probability of a logistic-regression head on the embedding (``NarrativeHead``, trained
  by ``hybridwatch train`` on the registry's exemplars and labelled items).

The weights favour the head: on eval/dev.jsonl with the head trained on eval/train.jsonl, (0.3, 0.1, 0.6)
gave two-fold macro-F1 0.74 against 0.67 for (0.5, 0.2, 0.3) and 0.67 for the head alone.

Embedding is the expensive step (0.1–0.2 s per 400-character lead on two cores). By default every item
is embedded once (near-duplicates share one embedding). With ``embed_all`` off, only items in which a
lexicon rule matched are embedded: several times faster on ordinary news, at a large cost in recall
(two-fold macro-F1 0.56 instead of 0.74 on the dev set). Without an encoder (lexicon-only mode) the score
is ``lexicon * (1 - LEXICON_ONLY_DISTANCING_PENALTY)`` when distancing cues are present. A narrative
is reported when its score reaches its threshold from ``config/narratives.yaml``; the result names the
components that contributed (``method``) and the matched phrases and nearest exemplar (``evidence``).
"""

import bisect
import hashlib
import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from nlp.lemmas import lemma_of
from nlp.translit import fold_for_search, fold_word

log = logging.getLogger(__name__)

W_LEXICON: Final = 0.3
W_SIMILARITY: Final = 0.1
W_HEAD: Final = 0.6
#: Cosine similarity (multilingual-e5-small) of unrelated news to an exemplar, and of a close
#: paraphrase; measured on the exemplars and counterexamples of config/narratives.yaml.
SIMILARITY_FLOOR: Final = 0.85
SIMILARITY_CEILING: Final = 0.93
DISTANCING_PENALTY: Final = 0.3
DISTANCING_SCORE_PENALTY: Final = 0.3
#: Without the head, the distancing cues are the only defence against rebuttals: they nearly veto.
LEXICON_ONLY_DISTANCING_PENALTY: Final = 0.7
#: Characters of title + text embedded: the lead carries the framing, and cost grows with length.
EMBED_MAX_CHARS: Final = 400
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


@dataclass
class TokenView:
    """A text's tokens with their folded words and lemmas, indexed for prefix look-up."""

    surfaces: list[str]
    forms: list[str]  # sorted unique folded words and lemmas
    positions: dict[str, list[int]]

    @classmethod
    def build(cls, tokens: Sequence[str], lang: str) -> "TokenView":
        positions: dict[str, list[int]] = {}
        for index, token in enumerate(tokens):
            folded = fold_word(token)
            lemma = fold_word(lemma_of(token, lang))
            for form in {folded, lemma}:
                positions.setdefault(form, []).append(index)
        return cls(list(tokens), sorted(positions), positions)

    def term_positions(self, term: _Term) -> list[int]:
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
    hits = [view.term_positions(term) for term in rule.terms]
    if not all(hits):
        return None
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
    encoder: Any | None = None  # nlp.encoders.Encoder; None = lexicon only
    head: NarrativeHead | None = None
    embed_all: bool = True
    #: Leads per encoder call (bounds memory on large batches).
    embed_batch_size: int = 256
    thresholds: dict[str, float] = field(default_factory=dict)
    _rules: dict[str, list[CompiledRule]] = field(default_factory=dict)
    _distancing: dict[str, list[CompiledRule]] = field(default_factory=dict)
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
        encoder = self.encoder.name if self.encoder else "none"
        return f"narratives.v1 encoder={encoder} head=[{head}]"

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
        similarities: dict[int, np.ndarray] = {}
        head_probs: dict[int, np.ndarray] = {}
        if self.encoder is not None:
            shared = share_embedding_with or range(len(texts))
            wanted = [
                i
                for i, (view, lang) in enumerate(zip(views, langs, strict=True))
                if self.embed_all or lexical[i]
            ]
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
            self._combine(lexical[i], distanced[i], similarities.get(i), head_probs.get(i))
            for i in range(len(texts))
        ]

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

    def _lexicon(self, view: TokenView, lang: str | None) -> dict[str, list[tuple[float, str]]]:
        matched: dict[str, list[tuple[float, str]]] = {}
        for rule in self.rules_for(lang):
            span = match_rule(rule, view)
            if span is not None:
                matched.setdefault(rule.narrative_id, []).append((rule.weight, span))
        return matched

    def _distanced(self, view: TokenView, lang: str | None) -> list[str]:
        return [span for rule in self.distancing_for(lang) if (span := match_rule(rule, view)) is not None]

    def _combine(
        self,
        lexical: dict[str, list[tuple[float, str]]],
        distancing: list[str],
        similarity: np.ndarray | None,
        head_probs: np.ndarray | None,
    ) -> list[NarrativeResult]:
        results = []
        for narrative in self.registry:
            nid = narrative.id
            hits = lexical.get(nid, [])
            lexicon = 1.0 - math.prod(1.0 - weight for weight, _ in hits)
            sim_score, nearest = 0.0, None
            if similarity is not None:
                best, nearest = self._nearest(nid, similarity)
                sim_score = min(
                    max((best - SIMILARITY_FLOOR) / (SIMILARITY_CEILING - SIMILARITY_FLOOR), 0), 1
                )
            head = 0.0
            if head_probs is not None and self.head is not None and nid in self.head.narrative_ids:
                head = float(head_probs[self.head.narrative_ids.index(nid)])
            if self.encoder is None:  # lexicon-only mode: the rules are the whole evidence
                score = lexicon * (1.0 - (LEXICON_ONLY_DISTANCING_PENALTY if distancing else 0.0))
            else:
                lexicon *= 1.0 - (DISTANCING_PENALTY if distancing else 0.0)
                score = W_LEXICON * lexicon + W_SIMILARITY * sim_score + W_HEAD * head
                score *= 1.0 - (DISTANCING_SCORE_PENALTY if distancing else 0.0)
            if score < self.thresholds[nid]:
                continue
            parts = [
                name
                for name, value in (("lexicon", lexicon), ("embedding", sim_score), ("head", head))
                if value > 0.05
            ]
            evidence = [f"rule: {span}" for span in dict.fromkeys(span for _, span in hits)][:5]
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
