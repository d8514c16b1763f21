"""Export a (fine-tuned) MiniLM from transformers format to sleuth's int8 ONNX inference path.

Steps (each a public recipe; nothing here is home-made maths):

1. Load the BERT model with ``transformers`` (eager attention, so the exported graph has the classic BERT
   attention pattern the fusion passes recognise). An ``embedding`` model is wrapped with the
   sentence-transformers head (mean pooling over the attention mask, then L2 normalisation) and outputs
   ``sentence_embedding`` ``(batch, 384)``; a ``reranker`` (``sleuth/tune/crossencoder.py``: the scaled
   cosine of the query's and the passage's mean token states) outputs ``logits`` ``(batch, 1)``.
2. ``torch.onnx.export`` (TorchScript exporter, opset 17, dynamic batch and sequence axes).
3. ``onnxruntime.transformers.optimizer.optimize_model(model_type="bert", opt_level=0)``: only the
   portable fusion passes (EmbedLayerNormalization, Attention, SkipLayerNormalization, BiasGelu).
4. ``onnxruntime.quantization.quantize_dynamic``: int8 weights with per-channel scales, uint8 activations
   quantised at run time, except ``FP32_NODES`` kept in float32. Why those: with per-tensor scales the
   shipped encoder's vectors drift to cosine 0.937 from float32 (SciFact nDCG@10 -0.006); per-channel
   gets 0.995; a per-node sensitivity scan showed the FFN output projections of layers 0 and 2 (their
   input is the GELU output, with large outliers) and the attention of layer 4 account for most of what
   is left; keeping them in float32 gives cosine 0.997 for +5 MB.
5. Copy ``tokenizer.json`` (truncation and padding cleared: the runtime sets them) and write
   ``manifest.json`` with the sha256 of both files and how they were made.

Needs torch, transformers, onnx and onnxruntime (``pip install 'sleuth[tune]'``).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sleuth.atomic import sha256_file

KINDS = ("embedding", "reranker")

#: Nodes left in float32 (names from the TorchScript exporter and the onnxruntime BERT fusion).
FP32_NODES = (
    "/inner/encoder/layer.0/output/dense/MatMul",
    "/inner/encoder/layer.2/output/dense/MatMul",
    "Attention_4",
)
OPSET = 17


def _wrapped(model_dir: Path, kind: str, pooled: bool) -> tuple[Any, str]:
    import torch
    from transformers import AutoModel

    inner = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    if kind == "reranker":
        from sleuth.tune.crossencoder import load_head, segment_cosine

        scale, name = load_head(model_dir), "logits"
    else:
        scale, name = None, "sentence_embedding" if pooled else "last_hidden_state"

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = inner  # the attribute name fixes the graph's node names (FP32_NODES)

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            h = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state
            if scale is not None:
                return segment_cosine(h, attention_mask, token_type_ids, scale).unsqueeze(1)
            if not pooled:
                return h
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            v = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(v, p=2.0, dim=1)

    return Wrapped().eval(), name


def export_fp32(model_dir: Path, out: Path, kind: str = "embedding", pooled: bool = True) -> None:
    import torch

    model, name = _wrapped(model_dir, kind, pooled)
    ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 2023, 2003, 1037, 102]], dtype=torch.long)
    am = (ids != 0).long()
    tt = torch.zeros_like(ids)
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "token_type_ids": {0: "batch", 1: "sequence"}, name: {0: "batch"}}
    with torch.inference_mode():
        torch.onnx.export(
            model, (ids, am, tt), str(out),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=[name],
            dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True, dynamo=False,
        )


def optimize(src: Path, dst: Path) -> dict[str, int]:
    """The portable BERT fusion passes; returns the fused-operator counts."""
    from onnxruntime.transformers.optimizer import optimize_model

    opt = optimize_model(str(src), model_type="bert", num_heads=12, hidden_size=384, opt_level=0)
    opt.save_model_to_file(str(dst))
    return dict(opt.get_fused_operator_statistics())


def quantize(src: Path, dst: Path, per_channel: bool = True, reduce_range: bool = False,
             exclude: tuple[str, ...] = FP32_NODES) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from sleuth.errors import ConfigError

    names = {n.name for n in onnx.load(str(src), load_external_data=False).graph.node}
    missing = [n for n in exclude if n not in names]
    if missing:
        raise ConfigError(
            f"Nodes to keep in float32 are not in the exported graph: {missing}.",
            "The exporter's node names changed: update FP32_NODES in sleuth/tune/export.py.",
        )
    # Shape inference cannot type the outputs of the fused com.microsoft ops: say they are float32.
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=per_channel,
                     reduce_range=reduce_range, nodes_to_exclude=list(exclude),
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def export(
    model_dir: Path,
    out: Path,
    *,
    kind: str = "embedding",
    model_name: str = "sentence-transformers/all-MiniLM-L6-v2",
    fuse: bool = True,
    pooled: bool = True,
    quantized: bool = True,
    per_channel: bool = True,
    reduce_range: bool = False,
    fp32_nodes: tuple[str, ...] = FP32_NODES,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``model.onnx``, ``tokenizer.json`` and ``manifest.json`` into ``out``; returns the manifest."""
    import onnxruntime
    import torch

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    out.mkdir(parents=True, exist_ok=True)
    keep = fp32_nodes if fuse and quantized else ()
    tmp = Path(tempfile.mkdtemp(prefix="sleuth-export-"))
    try:
        cur = tmp / "fp32.onnx"
        export_fp32(model_dir, cur, kind, pooled)
        if fuse:
            optimize(cur, tmp / "fused.onnx")
            cur = tmp / "fused.onnx"
        if quantized:
            quantize(cur, tmp / "int8.onnx", per_channel=per_channel, reduce_range=reduce_range, exclude=keep)
            cur = tmp / "int8.onnx"
        shutil.copy(cur, out / "model.onnx")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    tok = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    tok["truncation"] = None  # the packaged file pins 128 tokens; the runtime sets 256 like sentence-transformers
    tok["padding"] = None
    (out / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False), encoding="utf-8")
    weights = model_dir / "model.safetensors"
    manifest = {
        "model": model_name,
        "kind": kind,
        "licence": "Apache-2.0",
        "source_weights_sha256": sha256_file(weights) if weights.is_file() else None,
        "recipe": {"pooled": pooled, "fused": fuse, "quantized": quantized, "per_channel": per_channel,
                   "reduce_range": reduce_range, "opset": OPSET, "fp32_nodes": list(keep)},
        "built_with": {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__},
        "max_seq_length": 256,
        "dim": 384 if kind == "embedding" else 1,
        "files": {p: sha256_file(out / p) for p in ("model.onnx", "tokenizer.json")},
        **(extra or {}),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
