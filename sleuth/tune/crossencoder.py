"""Train a cross-encoder reranker from the packaged MiniLM weights, on the CPU.

The model reads ``[CLS] query [SEP] passage [SEP]`` jointly (every token attends to both texts, as in
Nogueira & Cho 2019, "Passage Re-ranking with BERT") and scores the pair as

    f(q, p) = s · cos( mean_{t ∈ q} h_t , mean_{t ∈ p} h_t )

the scaled cosine of the mean-pooled output states of the query's and the passage's tokens (told apart
by ``token_type_ids``), ``s`` a learnt scale (initially 20). Why not the usual linear head on [CLS]:
MiniLM was trained as a mean-pooling bi-encoder, so its [CLS] state carries little, and a random head
learnt nothing in 50 CPU steps in development (the loss stayed at ln 4); the segment cosine starts as
a sensible scorer (the bi-encoder's own similarity, now with cross-attention) and training sharpens it.

Loss: listwise softmax cross-entropy over each query's group of one positive and its mined hard
negatives (the "localised contrastive estimation" of Gao et al. 2021, "Rethink Training of BERT
Rerankers in Multi-Stage Retrieval Pipeline"):

    L = -1/B Σ_i log( exp(f(q_i, p_i)) / Σ_{c ∈ {p_i} ∪ N_i} exp(f(q_i, c)) )

Pairs with fewer than ``negatives`` negatives are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sleuth.rerank.cross_encoder import MAX_TOKENS
from sleuth.tune.pairs import Pair
from sleuth.tune.training import Budget, base_model_dir, fit, save, set_threads

HEAD = "rerank_head.json"
INITIAL_SCALE = 20.0


@dataclass(frozen=True)
class CrossEncoderConfig:
    groups_per_batch: int = 8
    negatives: int = 3
    lr: float = 3e-5
    max_tokens: int = MAX_TOKENS
    epochs: float = 3.0
    """Passes over the pairs at most (small collections finish before the budget)."""
    max_steps: int = 100_000


def segment_cosine(hidden: Any, attention_mask: Any, token_type_ids: Any, scale: Any) -> Any:
    """``scale · cos(mean query-token state, mean passage-token state)`` per row (torch tensors)."""
    import torch

    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    second = token_type_ids.unsqueeze(-1).to(hidden.dtype)
    q = (hidden * mask * (1 - second)).sum(1) / (mask * (1 - second)).sum(1).clamp(min=1e-9)
    p = (hidden * mask * second).sum(1) / (mask * second).sum(1).clamp(min=1e-9)
    return scale * torch.nn.functional.cosine_similarity(q, p, dim=1)


def load_head(model_dir: Path) -> float:
    return float(json.loads((model_dir / HEAD).read_text(encoding="utf-8"))["scale"])


def train_cross_encoder(
    pairs: Sequence[Pair],
    out_dir: Path,
    budget: Budget,
    config: CrossEncoderConfig = CrossEncoderConfig(),
    *,
    seed: int = 0,
    on_step: Callable[[int, int, float], None] | None = None,
) -> int:
    """Train on the pairs that have ``config.negatives`` negatives; save to ``out_dir`` (transformers format
    plus ``rerank_head.json``). Returns the number of steps taken."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    set_threads()
    torch.manual_seed(seed)
    src = base_model_dir()
    tok = AutoTokenizer.from_pretrained(str(src))
    model = AutoModel.from_pretrained(str(src))
    model.train()
    scale = torch.nn.Parameter(torch.tensor(INITIAL_SCALE))
    optimizer = torch.optim.AdamW([{"params": list(model.parameters()), "peak": config.lr},
                                   {"params": [scale], "peak": 1e-2, "weight_decay": 0.0}],
                                  lr=config.lr, weight_decay=0.01)
    groups = [p for p in pairs if len(p.negatives) >= config.negatives]
    if not groups:
        raise ValueError("no pair has hard negatives to train a reranker on")
    width = 1 + config.negatives

    def step(batch: list[Pair]) -> float:
        queries = [p.query for p in batch for _ in range(width)]
        docs = [c.text for p in batch for c in (p.positive, *p.negatives[: config.negatives])]
        b = tok(queries, docs, padding=True, truncation="longest_first", max_length=config.max_tokens,
                return_tensors="pt")
        h = model(**b).last_hidden_state
        logits = segment_cosine(h, b["attention_mask"], b["token_type_ids"], scale).view(len(batch), width)
        loss = torch.nn.functional.cross_entropy(logits, torch.zeros(len(batch), dtype=torch.long))
        loss.backward()
        return float(loss.detach())

    steps = fit(step, groups, config.groups_per_batch, config.epochs, config.max_steps, optimizer, budget,
                config.lr, seed, on_step)
    save(model, tok, out_dir)
    (out_dir / HEAD).write_text(json.dumps({"scale": float(scale.detach())}), encoding="utf-8")
    return steps
