"""The named-entity model: the shipped model, corpus readers, Cyrillic copies, scoring and training."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hybridwatch.cli import main
from hybridwatch.errors import BatchFormatError, ConfigError
from nlp.ner import LatinView, NamedEntity, load_ner
from nlp.ner_eval import evaluate_ner, measure_throughput, score_spans
from nlp.ner_features import lemma_norm, stem_prefix
from nlp.ner_training import (
    DEV_FILES,
    TEST_FILES,
    TRAIN_FILES,
    NerSentence,
    demonym_lexicon,
    read_conllu_ner,
    read_iob2,
    to_cyrillic_piece,
    to_cyrillic_sentence,
)

# --- the shipped model -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model():
    return load_ner()


def _found(entities: list[NamedEntity], label: str) -> set[str]:
    return {e.text for e in entities if e.label == label}


@pytest.mark.parametrize(
    ("text", "person", "organisation"),
    [
        (
            "Predsednik Srbije Aleksandar Vučić sastao se juče u Beogradu sa ambasadorom Evropske unije.",
            "Aleksandar Vučić",
            "Evropske unije",
        ),
        (
            "Председник Србије Александар Вучић састао се јуче у Београду са амбасадором Европске уније.",
            "Александар Вучић",
            "Европске уније",
        ),
        (
            "Premijer Andrej Plenković izjavio je u Zagrebu da Vlada podržava odluku Europske komisije.",
            "Andrej Plenković",
            "Europske komisije",
        ),
    ],
)
def test_the_shipped_model_finds_people_and_organisations(model, text, person, organisation):
    entities = model.entities(text)
    assert person in _found(entities, "PER")
    assert organisation in _found(entities, "ORG")
    for entity in entities:
        assert text[entity.start : entity.end] == entity.text
        assert entity.label in {"PER", "ORG", "LOC", "MISC"}


def test_offsets_refer_to_the_text_given_in_a_batch(model):
    texts = [
        "",
        "Ministar Ivica Dačić razgovarao je s predstavnicima NATO-a u Briselu.",
        "Министар Ивица Дачић разговарао је са представницима НАТО-а у Бриселу.",
    ]
    batch = model.entities_batch(texts)
    assert batch == [model.entities(t) for t in texts]
    assert batch[0] == []
    latin, cyrillic = batch[1], batch[2]
    assert "Ivica Dačić" in _found(latin, "PER")
    assert "Ивица Дачић" in _found(cyrillic, "PER")
    start = texts[2].index("Ивица")
    assert any(e.start == start and e.end == start + len("Ивица Дачић") for e in cyrillic)


def test_the_latin_view_maps_every_cyrillic_letter_back_to_its_offset():
    text = "У Љубљани, ЉУБЉАНА и Џон Smith."
    view = LatinView.of(text)
    assert view.latin == "U Ljubljani, LJUBLJANA i Džon Smith."
    assert view.starts is not None and len(view.starts) == len(text) + 1
    for word in ("Љубљани", "ЉУБЉАНА", "Џон", "Smith"):
        start = text.index(word)
        latin_start, latin_end = view.starts[start], view.starts[start + len(word)]
        assert view.latin[latin_start:latin_end] in {"Ljubljani", "LJUBLJANA", "Džon", "Smith"}
    assert LatinView.of("Zagreb").starts is None


def test_matrix_products_run_on_numpy_with_the_entities_blis_gives():
    from thinc.api import NumpyOps

    texts = [
        "Ministar Ivica Dačić razgovarao je s predstavnicima NATO-a u Briselu.",
        "Premijer Andrej Plenković izjavio je u Zagrebu da Vlada podržava odluku Europske komisije.",
        "Дирекција Агенције за борбу против корупције саопштила је да Драган Сикимић није прекршио закон.",
    ]
    loaded = load_ner()
    layers = list(loaded._nlp.get_pipe("ner").model.walk())
    assert all(isinstance(node.ops, NumpyOps) and not node.ops.use_blis for node in layers)
    on_numpy = loaded.entities_batch(texts)
    blis = NumpyOps(use_blis=True)
    for node in layers:
        node.ops = blis
    assert loaded.entities_batch(texts) == on_numpy
    assert any(e.label == "PER" for entities in on_numpy for e in entities)


def test_the_fast_paths_find_the_entities_spacy_finds():
    """The numpy decoder and the tokenizer without whitespace special cases against spaCy's own loop and the
    tokenizer as saved with the model."""
    from pathlib import Path

    import spacy

    from nlp.evaluate import read_gold
    from nlp.ner import DEFAULT_NER_PATH

    gold = read_gold(Path(__file__).resolve().parents[2] / "eval" / "dev.jsonl")
    texts = [f"{item.get('title') or ''}\n{item['text']}" for item in gold]
    texts += ["", "\n\n", "Beograd", "Ivica Dačić", "NATO-a u Briselu", "Zagreb\u00a0i\tSplit \n Mostar"]
    loaded = load_ner()
    assert loaded.decoder is not None  # the shipped model's layout is the one the decoder knows
    assert not any(key.isspace() for key in loaded._nlp.tokenizer.rules)
    decoded = loaded.entities_batch(texts)
    saved_rules = spacy.load(DEFAULT_NER_PATH).tokenizer.rules
    assert any(key.isspace() for key in saved_rules)
    loaded._nlp.tokenizer.rules = saved_rules
    loaded.decoder = None  # spaCy's own transition loop
    assert loaded.entities_batch(texts) == decoded
    assert sum(len(found) for found in decoded) > 1000


def test_a_model_layout_the_decoder_does_not_know_keeps_spacys_loop():
    from nlp.ner import NerModel
    from nlp.ner_decoder import GreedyEntityDecoder

    nlp = load_ner()._nlp
    ner = nlp.get_pipe("ner")
    assert GreedyEntityDecoder.supports(ner)
    ner.model.attrs["unseen_classes"] = {3}
    assert not GreedyEntityDecoder.supports(ner)
    fallback = NerModel(nlp, "unseen-classes")
    assert fallback.decoder is None
    assert "Ivica Dačić" in _found(fallback.entities("Ministar Ivica Dačić je doputovao u Brisel."), "PER")


def test_the_shipped_model_records_its_version(model):
    assert model.version.startswith("ner_bcms-")


def test_a_missing_or_broken_model_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no named-entity model"):
        load_ner(tmp_path / "absent")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "meta.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be loaded"):
        load_ner(broken)


# --- corpus readers --------------------------------------------------------------------------------

IOB2_SAMPLE = """\
# newdoc id =set.sr.2
# sent_id = set-s37
# text = Presuda Veliji Ramkovskom, rekao je NATO-u.
1\tPresuda\tO\tO\t-
2\tVeliji\tB-PER\tB-PER\t-
3\tRamkovskom\tI-PER\tI-PER\t-
4\t,\tO\tO\t-
5\trekao\tO\tO\t-
6\tje\tO\tO\t-
7\tNATO-u\tB-ORG\tB-ORG\t-
8\t.\tO\tO\t-

# sent_id = set-s38
# text = Rusi i Ekonomist .
1\tRusi\tB-OTH\tB-PER\t-
2\ti\tO\tO\t-
3\tEkonomist\tI-ORG\tI-ORG\t-
4\t.\tO\tO\t-
"""

CONLLU_SAMPLE = """\
# sent_id = set.hr-s1
# text = Erdoganove riječi: Jel Grad Zagreb?
1\tErdoganove\tErdoganov\tADJ\tAspfpay\t_\t_\t_\t_\tNamedEntity=Yes|NER=B-deriv-per
2\triječi\triječ\tNOUN\tNcfpn\t_\t_\t_\t_\tSpaceAfter=No
3\t:\t:\tPUNCT\tZ\t_\t_\t_\t_\t_
4-5\tJel\t_\t_\t_\t_\t_\t_\t_\t_
4\tje\tbiti\tAUX\tVar3s\t_\t_\t_\t_\t_
5\tli\tli\tPART\tQq\t_\t_\t_\t_\t_
6\tGrad\tgrad\tNOUN\tNcmsn\t_\t_\t_\t_\tNamedEntity=Yes|NER=B-org
7\tZagreb\tZagreb\tPROPN\tNpmsn\t_\t_\t_\t_\tNamedEntity=Yes|NER=I-org|SpaceAfter=No
8\t?\t?\tPUNCT\tZ\t_\t_\t_\t_\t_

# sent_id = tweet.1
1\tVidimo\tvidjeti\tVERB\tVmr1p\t_\t_\t_\t_\t_
2\tse\tse\tPRON\tPx\t_\t_\t_\t_\t_
3\tu\tu\tADP\tSl\t_\t_\t_\t_\t_
4\tSplitu\tSplit\tPROPN\tNpmsl\t_\t_\t_\t_\tNamedEntity=Yes|NER=B-loc|SpaceAfter=No
5\t!\t!\tPUNCT\tZ\t_\t_\t_\t_\t_
"""


def _surfaces(sentence: NerSentence) -> list[tuple[str, str]]:
    return [(sentence.text[s:e], label) for s, e, label in sentence.entities]


def test_iob2_reader_takes_the_third_column_and_maps_oth_to_misc(tmp_path):
    path = tmp_path / "sample.iob2"
    path.write_text(IOB2_SAMPLE, encoding="utf-8")
    first, second = read_iob2(path)
    assert first.sent_id == "set-s37"
    assert first.text == "Presuda Veliji Ramkovskom, rekao je NATO-u."
    assert _surfaces(first) == [("Veliji Ramkovskom", "PER"), ("NATO-u", "ORG")]
    # OTH (not the second column's PER) becomes MISC; an I- tag after another label starts a new entity.
    assert _surfaces(second) == [("Rusi", "MISC"), ("Ekonomist", "ORG")]


def test_conllu_reader_handles_space_after_multiword_tokens_and_deriv_per(tmp_path):
    path = tmp_path / "sample.conllu"
    path.write_text(CONLLU_SAMPLE, encoding="utf-8")
    first, second = read_conllu_ner(path)
    assert first.text == "Erdoganove riječi: Jel Grad Zagreb?"
    # deriv-per (a possessive adjective from a person's name) is PER, as UNER converted it.
    assert _surfaces(first) == [("Erdoganove", "PER"), ("Grad Zagreb", "ORG")]
    # No "# text": the sentence is rebuilt from the tokens and their SpaceAfter flags.
    assert second.text == "Vidimo se u Splitu!"
    assert _surfaces(second) == [("Splitu", "LOC")]


def test_demonyms_tagged_as_persons_follow_the_uner_convention(tmp_path):
    uner = tmp_path / TRAIN_FILES[0].path
    uner.parent.mkdir(parents=True)
    uner.write_text("# sent_id = s1\n1\tSrbi\tB-OTH\tB-PER\t-\n2\ti\tO\tO\t-\n3\tAna\tB-PER\tB-PER\t-\n")
    hr500k = tmp_path / TRAIN_FILES[2].path
    hr500k.parent.mkdir(parents=True)
    hr500k.write_text(
        "1\tSrbi\tSrbin\tPROPN\tNpmpn\t_\t_\t_\t_\tNER=B-per\n2\tSrbin\tSrbin\tPROPN\tNpmsn\t_\t_\t_\t_\t_\n"
    )
    demonyms = demonym_lexicon(tmp_path)
    assert demonyms == {"srbi", "srbin"}  # the UNER difference, and its lemma in the CoNLL-U training file
    sample = tmp_path / "test.conllu"
    sample.write_text(
        "1\tSrba\tSrbin\tPROPN\tNpmpg\t_\t_\t_\t_\tNER=B-per\n"
        "2\ti\ti\tCCONJ\tCc\t_\t_\t_\t_\t_\n"
        "3\tSrbin\tSrbin\tPROPN\tNpmsn\t_\t_\t_\t_\tNER=B-per\n"
        "4\tJović\tJović\tPROPN\tNpmsn\t_\t_\t_\t_\tNER=I-per\n"
    )
    (sentence,) = read_conllu_ner(sample, demonyms)
    # A one-word demonym becomes MISC; a longer person name that starts with one stays PER.
    assert _surfaces(sentence) == [("Srba", "MISC"), ("Srbin Jović", "PER")]
    (as_annotated,) = read_conllu_ner(sample)
    assert _surfaces(as_annotated) == [("Srba", "PER"), ("Srbin Jović", "PER")]


def test_an_unknown_tag_names_file_and_line(tmp_path):
    path = tmp_path / "bad.iob2"
    path.write_text("# sent_id = s1\n1\tBeograd\tB-CITY\tB-LOC\t-\n", encoding="utf-8")
    with pytest.raises(BatchFormatError, match=r"bad\.iob2:2: unknown NER tag 'B-CITY'"):
        read_iob2(path)


def test_cyrillic_copies_keep_entity_spans_on_the_entities():
    text = "Lider SNS-a Miloš Vučević i NATO."
    spans = [(text.index(s), text.index(s) + len(s), label) for s, label in
             (("SNS-a", "ORG"), ("Miloš Vučević", "PER"), ("NATO", "ORG"))]  # fmt: skip
    sentence = NerSentence("s", text, tuple(spans))
    copy = to_cyrillic_sentence(sentence)
    assert copy.text == "Лидер СНС-а Милош Вучевић и НАТО."
    assert _surfaces(copy) == [("СНС-а", "ORG"), ("Милош Вучевић", "PER"), ("НАТО", "ORG")]
    assert to_cyrillic_piece("Njegoš") == "Његош"
    assert to_cyrillic_piece("Washington") == "Washington"


# --- scoring ---------------------------------------------------------------------------------------


def test_scores_count_exact_span_and_label_only():
    gold = [{(0, 5, "PER"), (10, 15, "ORG")}, {(0, 4, "LOC")}]
    predicted = [{(0, 5, "PER"), (10, 14, "ORG")}, {(0, 4, "ORG")}]
    scores = score_spans(gold, predicted)
    assert scores["per_label"]["PER"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "tp": 1,
        "fp": 0,
        "fn": 0,
    }
    assert scores["per_label"]["ORG"]["tp"] == 0
    assert scores["per_label"]["ORG"]["fp"] == 2
    assert scores["per_label"]["LOC"]["fn"] == 1
    assert scores["micro"]["tp"] == 1
    assert scores["micro"]["precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert scores["micro"]["recall"] == pytest.approx(1 / 3, abs=1e-4)


def test_case_forms_of_a_name_share_the_lemma_and_stem_features():
    forms = ["Vučić", "Vučića", "Vučiću", "Vučićem"]
    assert {stem_prefix(form) for form in forms} == {"vučić"}
    assert lemma_norm("Aleksandra") == lemma_norm("Aleksandar") == "aleksandar"
    assert lemma_norm("posetio") != "posetio"  # a verb form becomes its infinitive
    assert lemma_norm("2024.") == "2024."  # no letters: only lower-cased


# --- training on a tiny slice ----------------------------------------------------------------------

_TINY_IOB2 = [
    ("Aleksandar Vučić je posetio Beograd.", [("Aleksandar", "B-PER"), ("Vučić", "I-PER"), ("je", "O"),
     ("posetio", "O"), ("Beograd", "B-LOC"), (".", "O")]),
    ("Vlada Srbije i NATO razgovaraju.", [("Vlada", "B-ORG"), ("Srbije", "I-ORG"), ("i", "O"),
     ("NATO", "B-ORG"), ("razgovaraju", "O"), (".", "O")]),
    ("Ana Brnabić je otputovala u Pariz.", [("Ana", "B-PER"), ("Brnabić", "I-PER"), ("je", "O"),
     ("otputovala", "O"), ("u", "O"), ("Pariz", "B-LOC"), (".", "O")]),
]  # fmt: skip
_TINY_DEV_IOB2 = [
    ("Ivica Dačić je u Briselu.", [("Ivica", "B-PER"), ("Dačić", "I-PER"), ("je", "O"), ("u", "O"),
     ("Briselu", "B-LOC"), (".", "O")]),
]  # fmt: skip


def _write_iob2(path: Path, sentences: list = _TINY_IOB2) -> None:
    blocks = []
    for index, (text, tokens) in enumerate(sentences, start=1):
        lines = [f"# sent_id = s{index}", f"# text = {text}"]
        lines += [f"{i}\t{form}\t{tag}\t{tag}\t-" for i, (form, tag) in enumerate(tokens, start=1)]
        blocks.append("\n".join(lines))
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")


def _tiny_corpora(root: Path) -> Path:
    for corpus in (*TRAIN_FILES, *DEV_FILES, *TEST_FILES):
        path = root / corpus.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if corpus.is_iob2:
            _write_iob2(path, _TINY_DEV_IOB2 if corpus in DEV_FILES else _TINY_IOB2)
        else:
            path.write_text(CONLLU_SAMPLE, encoding="utf-8")
    return root


def test_training_on_a_tiny_slice_writes_a_loadable_model_with_its_card(tmp_path):
    root = _tiny_corpora(tmp_path / "corpora")
    out = tmp_path / "model"
    result = CliRunner().invoke(
        main, ["train-ner", "--corpora", str(root), "--out", str(out), "--max-epochs", "2", "--limit", "12"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [e["epoch"] for e in report["training"]["epochs"]] == [1, 2]
    # 3 UNER or 2 CoNLL-U sentences per file; the Serbian files (UNER sr, ReLDI sr) doubled in Cyrillic.
    assert report["training"]["data"]["train-with-cyrillic-copies"] == 2 * 3 + 3 + 2 + 2 * 2 + 2
    assert set(report["test"]["splits"]) == {f.name for f in TEST_FILES} | {
        "uner-sr-test-cyrillic",
        "hr500k-test-news",  # the SETimes sentence of the sample, not the tweet
        "hr500k-test-outside-uner",  # both sample sentences: the tiny UNER hr test split has neither
    }
    assert report["test"]["splits"]["hr500k-test-news"]["sentences"] == 1
    assert report["test"]["splits"]["hr500k-test-outside-uner"]["sentences"] == 2
    strings = json.loads((out / "vocab" / "strings.json").read_text(encoding="utf-8"))
    assert set(strings) <= {"PER", "ORG", "LOC", "MISC"}  # the training strings are not shipped
    trained = load_ner(out)
    entities = trained.entities("Aleksandar Vučić je posetio Beograd.")
    assert all(e.label in {"PER", "ORG", "LOC", "MISC"} for e in entities)
    # The saved config installs the lemma and stem features again when the model is loaded.
    word = trained._nlp.vocab["Aleksandra"]
    assert (word.norm_, word.prefix_) == ("aleksandar", "aleks")
    # The word vectors ship as the 8-bit table, not as spaCy's float32 files, and are installed on load.
    assert (out / "word-vectors.npz").is_file() and not (out / "vocab" / "vectors").exists()
    vocab = trained._nlp.vocab
    # Forms seen at least three times (the sentences repeat across the tiny files); Latin keys only.
    assert vocab.has_vector("je") and not vocab.has_vector("Vučić") and not vocab.has_vector("је")
    assert report["training"]["word_vectors"]["forms"] == vocab.vectors.n_keys > 0
    # A damaged or missing table is a clear error, not a crash at the first text.
    (out / "word-vectors.npz").write_bytes(b"PK\x03\x04 not a whole archive")
    with pytest.raises(ConfigError, match="word-vector table cannot be read"):
        load_ner(out)
    (out / "word-vectors.npz").unlink()
    with pytest.raises(ConfigError, match=r"word-vectors\.npz is missing"):
        load_ner(out)
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in card
    assert "uner-hr-test" in card
    assert not (tmp_path / "model.training").exists()


def test_evaluation_reports_missing_test_files_and_scores_the_rest(tmp_path, model):
    root = tmp_path / "corpora"
    path = root / TEST_FILES[0].path
    path.parent.mkdir(parents=True)
    _write_iob2(path)
    report = evaluate_ner(model, root)
    split = report["splits"]["uner-sr-test"]
    assert split["sentences"] == 3
    assert split["micro"]["tp"] + split["micro"]["fn"] == 6  # gold entities in the three sentences
    assert "skipped" in report["splits"]["hr500k-test"]
    assert report["splits"]["uner-sr-test-cyrillic"]["sentences"] == 3


def test_hr500k_sentences_that_are_uner_test_sentences_are_also_scored_apart(tmp_path, model):
    root = tmp_path / "corpora"
    hr500k = next(f for f in TEST_FILES if f.name == "hr500k-test")
    (root / hr500k.path).parent.mkdir(parents=True)
    (root / hr500k.path).write_text(CONLLU_SAMPLE, encoding="utf-8")
    uner_hr = next(f for f in TEST_FILES if f.name == "uner-hr-test")
    (root / uner_hr.path).parent.mkdir(parents=True, exist_ok=True)
    tokens = [("Erdoganove", "B-PER"), ("riječi", "O"), (":", "O"), ("Jel", "O"), ("Grad", "B-ORG"),
              ("Zagreb", "I-ORG"), ("?", "O")]  # fmt: skip
    _write_iob2(root / uner_hr.path, [("Erdoganove riječi: Jel Grad Zagreb?", tokens)])
    splits = evaluate_ner(model, root)["splits"]
    assert splits["hr500k-test"]["sentences"] == 2
    assert splits["hr500k-test-outside-uner"]["sentences"] == 1  # the tweet; the SETimes one is UNER's


def test_throughput_is_measured_on_article_length_texts(model):
    sentence = NerSentence(
        "s", "Premijer Andrej Plenković izjavio je u Zagrebu da Vlada podržava odluku.", ()
    )
    report = measure_throughput(model, [sentence] * 100)
    # 11 words a sentence: each article closes at the 28th sentence (308 words); the rest is left out.
    assert report["articles"] == 3
    assert report["words"] == 3 * 28 * 11
    for name in ("first_pass", "second_pass"):
        assert report[name]["words_per_second_cpu"] is None or report[name]["words_per_second_cpu"] > 0
