"""A small logistic-regression classifier over hashed n-grams: one more signal for the screener.

The rules and frames recognise what they were written for; this model, trained on the dev split of
the evaluation set, scores the words and *concept letters* (see :mod:`.frames`) of a text. Concept
n-grams such as ``DYG`` ("discard your instructions") carry over to wordings the model never saw,
which is why it adds detection on fresh phrasings at no measured cost in false positives when it
is used as a *supporting* signal: only a confident score counts on its own (see :data:`STRONG`).

Inference is pure Python: hash each feature with CRC-32 into :data:`BUCKETS` buckets, add the
weights found, squash. The weights are a small JSON file next to this module, written by
``python -m parley.safety.classifier train`` (deterministic; reads only ``split: dev`` rows).
The file records a fingerprint of the concept lexicon it was trained with, and a test fails when
the lexicon changes without a retrain.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import frames
from .normalize import fold

WEIGHTS_PATH = Path(__file__).with_name("classifier_weights.json")
BUCKETS = 1 << 18
#: Texts longer than this are not scored (cost grows with length; long documents have the rules).
MAX_CHARS = 4096
#: Probability at which the model's opinion counts on its own, and its weight then.
STRONG = 0.9
STRONG_WEIGHT = 0.55
#: Probability at which it supports other signals, and its weight then.
SUPPORT = 0.75
SUPPORT_WEIGHT = 0.3

_WORD = re.compile(r"[a-z0-9']+")


def lexicon_fingerprint() -> str:
    """A digest of the concept lexicon and frames the features depend on."""
    digest = hashlib.sha256()
    for word, letter in sorted(frames._CONCEPT.items()):
        digest.update(f"{word}\t{letter}\n".encode())
    for _pair, entries in sorted(frames._PHRASE_TABLE.items()):
        for toks, letter in entries:
            digest.update(f"{' '.join(toks)}\t{letter}\n".encode())
    return digest.hexdigest()[:16]


def feature_ids(view: str, letters: str) -> list[int]:
    """Hashed binary features of a folded view and its concept letters: words, word pairs, and
    concept 2- to 4-grams (ordinary words dropped, so the grams span the meaningful ones)."""
    words = _WORD.findall(view)
    names: set[str] = {"w:" + w for w in words}
    names.update("b:" + a + " " + b for a, b in zip(words, words[1:], strict=False))
    concepts = letters.replace("_", "")
    for n in (2, 3, 4):
        names.update(f"c{n}:" + concepts[i:i + n] for i in range(len(concepts) - n + 1))
    mask = BUCKETS - 1
    return sorted({zlib.crc32(name.encode()) & mask for name in names})


@dataclass(frozen=True, slots=True)
class Model:
    bias: float
    weights: dict[int, float]
    fingerprint: str

    def probability(self, ids: Sequence[int]) -> float:
        if not ids:
            return 1.0 / (1.0 + math.exp(-self.bias))
        get = self.weights.get
        z = self.bias + sum(get(i, 0.0) for i in ids) / math.sqrt(len(ids))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@lru_cache(maxsize=1)
def load(path: Path = WEIGHTS_PATH) -> Model | None:
    """The trained model, or None when no weights file ships (the screener then skips it)."""
    if not path.exists():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Model(float(raw["bias"]), {int(k): float(v) for k, v in raw["weights"].items()}, raw["fingerprint"])


def probability(view: str, letters: str) -> float | None:
    """P(attack) for a folded view, or None when the model is absent or the text too long."""
    if len(view) > MAX_CHARS:
        return None
    model = load()
    if model is None:
        return None
    return model.probability(feature_ids(view, letters))


# --- training (offline) --------------------------------------------------------------------------

def train(examples: Iterable[tuple[str, bool]], *, epochs: int = 30, rate: float = 0.2, l2: float = 1e-3,
          seed: int = 0) -> Model:
    """Plain SGD on the logistic loss with L2, features scaled by 1/sqrt(n). Deterministic."""
    data: list[tuple[list[int], int]] = []
    for text, attack in examples:
        view = fold(text).text
        data.append((feature_ids(view, frames.read(view).letters), int(attack)))
    weights: dict[int, float] = {}
    bias = 0.0
    order = list(range(len(data)))
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            ids, label = data[i]
            scale = 1.0 / math.sqrt(len(ids) or 1)
            z = bias + sum(weights.get(j, 0.0) for j in ids) * scale
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            grad = p - label
            for j in ids:
                w = weights.get(j, 0.0)
                weights[j] = w - rate * (grad * scale + l2 * w)
            bias -= rate * grad
    kept = {j: round(w, 4) for j, w in weights.items() if abs(w) >= 0.005}
    return Model(round(bias, 4), kept, lexicon_fingerprint())


def save(model: Model, path: Path = WEIGHTS_PATH) -> None:
    payload = {"fingerprint": model.fingerprint, "buckets": BUCKETS, "bias": model.bias,
               "weights": {str(k): v for k, v in sorted(model.weights.items())}}
    path.write_text(json.dumps(payload, separators=(",", ":")) + "\n", encoding="utf-8")


def dev_examples(data_dir: Path) -> list[tuple[str, bool]]:
    """The dev-split rows of an evaluation set directory (held-out splits are never read)."""
    out: list[tuple[str, bool]] = []
    for path in sorted(data_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row["split"] == "dev":
                    out.append((row["text"], row["family"] != "benign"))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the screening classifier on the dev split.")
    parser.add_argument("command", choices=["train"])
    parser.add_argument("data_dir", type=Path, help="the evaluation set directory (tests/data/safety)")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args(argv)
    examples = dev_examples(args.data_dir)
    model = train(examples)
    save(model, args.out)
    print(f"trained on {len(examples)} dev examples ({sum(a for _, a in examples)} attacks): "
          f"{len(model.weights)} weights, {args.out.stat().st_size // 1024} KiB, fingerprint {model.fingerprint}")


if __name__ == "__main__":
    main()
