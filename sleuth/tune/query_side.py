"""Query-side adaptation: fine-tune only the query encoder against the collection's frozen passage vectors.

Passages keep the vectors they were indexed with (no re-embedding); a copy of MiniLM learns to place the
collection's queries near their passages. Because passage vectors are fixed, every training query is
scored against *every* passage of the collection, a full softmax instead of a sampled one (the
query-side fine-tuning of Lee et al. 2021, "Learning Dense Representations of Phrases at Scale", which
adapts a frozen phrase index to a new domain):

    L = -1/B Σ_i log( Σ_{c ∈ P_i} exp(s·⟨q_i, v_c⟩) / Σ_{c ∈ C} exp(s·⟨q_i, v_c⟩) )

where ``P_i`` are the passages of query ``i``'s positive document, ``C`` all passages, ``v`` the frozen
L2-normalised passage vectors, ``s = 20``. A step costs one forward and backward pass over ~32 short
queries, so a CPU takes thousands of steps in minutes, where the two-tower model above takes tens.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sleuth.tune.pairs import Pair
from sleuth.tune.training import Budget, base_model_dir, batches, run_steps, set_threads


@dataclass(frozen=True)
class QuerySideConfig:
    batch_size: int = 32
    lr: float = 2e-5
    scale: float = 20.0
    max_query_tokens: int = 64
    epochs: float = 3.0
    """Passes over the pairs at most (small collections finish before the budget)."""
    max_steps: int = 100_000


def train_query_encoder(
    pairs: Sequence[Pair],
    passage_vectors: np.ndarray,
    passage_docs: Sequence[str],
    out_dir: Path,
    budget: Budget,
    config: QuerySideConfig = QuerySideConfig(),
    *,
    seed: int = 0,
    on_step: Callable[[int, int, float], None] | None = None,
) -> int:
    """Fine-tune MiniLM as a query encoder for the fixed ``passage_vectors`` (rows ↔ ``passage_docs``).

    Pairs whose positive document has no passage are skipped. Returns the number of steps taken.
    """
    import torch
    from transformers import AutoModel, AutoTokenizer

    set_threads()
    torch.manual_seed(seed)
    rows: dict[str, list[int]] = {}
    for i, d in enumerate(passage_docs):
        rows.setdefault(d, []).append(i)
    usable = [p for p in pairs if p.positive.doc_id in rows]
    if not usable:
        raise ValueError("no pair's positive document is in the collection")
    src = base_model_dir()
    tok = AutoTokenizer.from_pretrained(str(src))
    model = AutoModel.from_pretrained(str(src))
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.01)
    vecs = torch.from_numpy(np.ascontiguousarray(passage_vectors, dtype=np.float32))

    def step(batch: list[Pair]) -> float:
        b = tok([p.query for p in batch], padding=True, truncation=True, max_length=config.max_query_tokens,
                return_tensors="pt")
        h = model(**b).last_hidden_state
        m = b["attention_mask"].unsqueeze(-1).to(h.dtype)
        q = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=1)
        logits = config.scale * q @ vecs.T
        positive = torch.full_like(logits, float("-inf"))
        for i, p in enumerate(batch):
            idx = rows[p.positive.doc_id]
            positive[i, idx] = logits[i, idx]
        loss = (torch.logsumexp(logits, 1) - torch.logsumexp(positive, 1)).mean()
        loss.backward()
        return float(loss.detach())

    size = min(config.batch_size, len(usable))
    steps = run_steps(step, batches(usable, size, random.Random(seed)), optimizer, budget,
                      min(config.max_steps, max(1, int(config.epochs * len(usable) / size))),
                      config.lr, on_step)
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tok.save_pretrained(str(out_dir))
    return steps
