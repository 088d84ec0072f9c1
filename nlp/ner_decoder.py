"""The named-entity model's greedy decoding, in numpy: the same entities as spaCy's, in fewer steps.

spaCy's ``ner`` component reads a text token by token and chooses, at each token, one move of the BILUO
system (Begin, In, Last or Unit of an entity of some label, or Out) by the highest score among the moves
valid in that state. The scores come from the model's state vector: the sum of three precomputed feature
vectors (the token's, the open entity's first token's, the previous token's if an entity is open; padding
vectors otherwise), a maxout, and one output layer. spaCy runs that loop in compiled code, but on the
development machine most of the named-entity model's time went to checking every move's validity at every
token (about half of it, against a third for the token vectors; docs/decisions.md, "Named entities").

The decoding here uses the model's weights unchanged and follows two observations:

- while no entity is open, a state's features are its token's vector and the padding vectors, so the
  scores of every token in that state are one matrix product for the whole batch, and the move chosen
  there depends on nothing that came before;
- only inside an entity (a token or two per entity) does a state depend on the entity's start, so only
  those steps are taken one at a time.

The entities are those spaCy finds, token for token: the sums are added in spaCy's order, and ties go to the
first move, as in spaCy (a test compares both on real text). The decoder applies to models whose layout it
knows (``supports``): three state features, an output layer, no unseen classes; ``nlp.ner`` keeps
spaCy's own loop for any other.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

#: Moves of spaCy's BILUO system as ``get_class_name`` spells them: "B-PER", "U-ORG", "O".
ENTITY_MOVES: Final = ("B", "I", "L", "U")
OUT_MOVE: Final = "O"
#: State features of spaCy's ``ner`` state type: the buffer's first token, the open entity's first token,
#: the token before the buffer while an entity is open.
STATE_FEATURES: Final = 3


@dataclass(frozen=True)
class TokenEntity:
    """An entity as token offsets into its doc: ``doc[start:end]``."""

    start: int
    end: int
    label: str


class GreedyEntityDecoder:
    """Decode a spaCy ``ner`` component's entities; built from the component when :meth:`supports` it."""

    def __init__(self, ner: Any) -> None:
        model = ner.model
        self._tok2vec = model.get_ref("tok2vec")
        self._lower = model.get_ref("lower")
        upper = model.get_ref("upper")
        self._output_weights = upper.get_param("W").T  # (hidden, moves)
        self._output_bias = upper.get_param("b")
        self._feature_bias = self._lower.get_param("b")  # (hidden, pieces)
        names = [ner.moves.get_class_name(i) for i in range(ner.moves.n_moves)]
        kinds = np.array([name.split("-", 1)[0] for name in names])
        labels = [name.split("-", 1)[1] if "-" in name else "" for name in names]
        self.labels = sorted({label for label in labels if label})
        self._label_of_move = np.array([self.labels.index(label) if label else -1 for label in labels])
        labelled = self._label_of_move >= 0
        self._begin, self._inside, self._last, self._unit = (
            (kinds == kind) & labelled for kind in ENTITY_MOVES
        )
        self._out = kinds == OUT_MOVE

    @staticmethod
    def supports(ner: Any) -> bool:
        """Whether the component's model has the layout this decoder reproduces exactly."""
        model = ner.model
        return (
            ner.cfg.get("beam_width", 1) == 1
            and bool(model.attrs.get("has_upper"))
            and not model.attrs.get("unseen_classes")
            and model.get_ref("lower").get_dim("nF") == STATE_FEATURES
        )

    def entities(self, docs: Sequence[Any]) -> list[list[TokenEntity]]:
        """The entities of each doc (token offsets), in order."""
        out: list[list[TokenEntity]] = [[] for _ in docs]
        filled = [i for i, doc in enumerate(docs) if len(doc)]
        if filled:
            for i, found in zip(filled, self._decode([docs[i] for i in filled]), strict=True):
                out[i] = found
        return out

    def _decode(self, docs: list[Any]) -> list[list[TokenEntity]]:
        from spacy.attrs import IS_SPACE, SENT_START

        # Row 0 is the padding (an absent feature); token i of the batch is row i + 1.
        features = self._lower.predict(self._tok2vec.predict(docs))  # (tokens + 1, 3, hidden, pieces)
        own, entity_start, previous = (np.ascontiguousarray(features[:, f]) for f in range(STATE_FEATURES))
        lengths = [len(doc) for doc in docs]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).tolist()
        attrs = [doc.to_array([IS_SPACE, SENT_START]) for doc in docs]
        space = np.concatenate([a[:, 0] for a in attrs]).astype(bool)
        # No Begin or In where the next token starts a sentence or the doc ends (spaCy's rules).
        no_next = np.concatenate([np.append(a[1:, 1] == 1, True) for a in attrs])

        # Every token as seen with no entity open: valid moves are Begin, Unit (not on whitespace), Out.
        closed_scores = self._scores(((own[1:] + entity_start[0]) + previous[0]) + self._feature_bias)
        valid = (
            (self._begin[None, :] & (~no_next & ~space)[:, None])
            | (self._unit[None, :] & ~space[:, None])
            | self._out[None, :]
        )
        closed_scores[~valid] = -np.inf
        closed_move = closed_scores.argmax(axis=1)

        found: list[list[TokenEntity]] = [[] for _ in docs]
        candidates = np.nonzero(~self._out[closed_move])[0]
        doc_of = (np.searchsorted(offsets, candidates, side="right") - 1).tolist()
        inside_until = -1
        for position, d in zip(candidates.tolist(), doc_of, strict=True):
            if position <= inside_until:  # decided by an open entity's steps instead
                continue
            move = int(closed_move[position])
            label = int(self._label_of_move[move])
            start = position - offsets[d]
            if self._unit[move]:
                found[d].append(TokenEntity(start, start + 1, self.labels[label]))
                continue
            end = self._walk_entity(position, label, own, entity_start, previous, no_next)
            found[d].append(TokenEntity(start, end - offsets[d] + 1, self.labels[label]))
            inside_until = end
        return found

    def _walk_entity(
        self,
        begin: int,
        label: int,
        own: np.ndarray,
        entity_start: np.ndarray,
        previous: np.ndarray,
        no_next: np.ndarray,
    ) -> int:
        """Step through the entity opened at batch token ``begin``; return the batch token it ends on."""
        inside = self._inside & (self._label_of_move == label)
        last = self._last & (self._label_of_move == label)
        start_vector = entity_start[begin + 1]
        position = begin + 1
        while True:
            scores = self._scores(
                ((own[position + 1] + start_vector) + previous[position]) + self._feature_bias
            )
            valid = last if no_next[position] else (last | inside)
            scores[~valid] = -np.inf
            if last[int(scores.argmax())]:
                return position
            position += 1

    def _scores(self, unmaxed: np.ndarray) -> np.ndarray:
        """Maxout over the pieces (last axis), then the output layer: one row of move scores per state."""
        hidden = unmaxed[..., 0]
        for piece in range(1, unmaxed.shape[-1]):
            hidden = np.maximum(hidden, unmaxed[..., piece])
        return hidden @ self._output_weights + self._output_bias
