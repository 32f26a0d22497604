"""Checks ONNX files with the reference implementation and prints what it found, as JSON.

Usage: /usr/bin/python3 scripts/onnx_check.py MODEL.onnx [MODEL2.onnx ...]

For each file: onnx.checker.check_model(full_check=True) (which also runs strict shape
inference), then the facts a test compares against what the exporter meant to write, decoded
here by onnx's own protobuf code: IR version, opsets, graph inputs and outputs with their dims,
op types used, and metadata_props. One JSON object per line; exit status 1 if any check failed.
"""

import json
import sys

import onnx


def dims(value_info):
    out = []
    for d in value_info.type.tensor_type.shape.dim:
        out.append(d.dim_param if d.HasField("dim_param") else d.dim_value)
    return out


def check(path):
    report = {"path": path, "ok": False}
    try:
        model = onnx.load(path)
    except Exception as err:  # noqa: BLE001 - any load failure is the answer
        report["error"] = f"load: {err}"
        return report
    try:
        onnx.checker.check_model(model, full_check=True)
        report["ok"] = True
    except Exception as err:  # noqa: BLE001
        report["error"] = f"{type(err).__name__}: {err}"
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    report.update(
        {
            "onnx_version": onnx.__version__,
            "ir_version": model.ir_version,
            "opsets": {o.domain or "ai.onnx": o.version for o in model.opset_import},
            "producer": model.producer_name,
            "inputs": [
                {"name": i.name, "elem_type": i.type.tensor_type.elem_type, "dims": dims(i)}
                for i in graph.input
                if i.name not in initializers
            ],
            "outputs": [
                {"name": o.name, "elem_type": o.type.tensor_type.elem_type, "dims": dims(o)}
                for o in graph.output
            ],
            "op_types": sorted({n.op_type for n in graph.node}),
            "node_count": len(graph.node),
            "metadata_props": {p.key: p.value for p in model.metadata_props},
        }
    )
    return report


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    ok = True
    for path in argv[1:]:
        report = check(path)
        ok = ok and report["ok"]
        print(json.dumps(report, sort_keys=True))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
