"""The named-entity model's word-vector table: forms, the real encoder, reduction, 8-bit storage, install."""

import numpy as np
import pytest
import spacy

from nlp.word_vectors import WordTable, build_word_table, dslcc_bcms_texts, install, reduce, word_forms


def test_word_forms_are_distinct_words_most_frequent_first():
    texts = ["Vučić je u Beogradu.", "Vučić je 2024. rekao", "—", "je"]
    forms = word_forms(texts, str.split, min_count=1)
    assert forms[:2] == ["je", "Vučić"]
    assert set(forms) == {"Vučić", "je", "u", "Beogradu.", "rekao"}  # "2024." and "—" have no letter
    # By default a form must be seen three times: rare words go without a vector, in training as at run time.
    assert word_forms(texts, str.split) == ["je"]


def test_a_table_needs_at_least_one_form():
    with pytest.raises(ValueError, match="nothing to embed"):
        build_word_table(["samo jednom"], str.split)


def test_the_encoder_puts_case_forms_of_a_name_together():
    table = build_word_table(
        ["Zagreb Zagrebu Zagreba Beograd Beogradu ministarstvo ministarstva kuća rekao je i u na"],
        str.split,
        min_count=1,
    )
    vectors = dict(
        zip(table.words, table.vectors / np.linalg.norm(table.vectors, axis=1, keepdims=True), strict=True)
    )
    assert vectors["Zagreb"] @ vectors["Zagrebu"] > vectors["Zagreb"] @ vectors["ministarstva"]
    assert vectors["ministarstvo"] @ vectors["ministarstva"] > vectors["ministarstvo"] @ vectors["Beogradu"]


def test_reduction_centres_and_keeps_the_leading_components():
    rng = np.random.default_rng(3)
    embeddings = rng.normal(size=(300, 12)).astype(np.float32) + 5.0  # a large shared direction
    reduced = reduce(embeddings, dims=4)
    assert reduced.shape == (300, 4)
    assert np.allclose(reduced.mean(axis=0), 0.0, atol=1e-5)
    assert np.linalg.norm(reduced, axis=1).mean() == pytest.approx(1.0, rel=1e-4)


def test_the_table_reads_back_as_it_was_quantised(tmp_path):
    rng = np.random.default_rng(5)
    table = WordTable(("Vučić", "Београд", "a"), rng.normal(size=(3, 8)).astype(np.float32)).quantised()
    table.save(tmp_path / "t.npz")
    loaded = WordTable.load(tmp_path / "t.npz")
    assert loaded.words == table.words
    assert np.allclose(loaded.vectors, table.vectors, atol=1e-6)


def test_install_gives_every_key_its_row_and_extra_keys_share_it():
    table = WordTable(("Beograd", "Niš"), np.array([[1.0, 0.0], [0.0, 2.0]], dtype=np.float32))
    nlp = spacy.blank("hr")
    install(nlp, table, extra_keys=lambda word: word.upper())
    assert nlp.vocab.get_vector("Niš").tolist() == [0.0, 2.0]
    assert nlp.vocab.get_vector("NIŠ").tolist() == [0.0, 2.0]
    assert not nlp.vocab.has_vector("Zagreb")


def test_dslcc_gives_only_the_bcms_sentences(tmp_path):
    folder = tmp_path / "dslcc-v2"
    folder.mkdir()
    (folder / "test-gold.txt").write_text(
        "Jedna rečenica.\tsr\nЕдна реченица.\tmk\nJedna věta.\tcz\nDruga rečenica.\tbs\n", "utf-8"
    )
    assert dslcc_bcms_texts(tmp_path) == ["Jedna rečenica.", "Druga rečenica."]
    assert dslcc_bcms_texts(tmp_path / "absent") == []
