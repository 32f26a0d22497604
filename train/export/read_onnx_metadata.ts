import { metadataFromProps, type ModelMetadata } from "../../shared/model_metadata.ts";
import { decodeModel, int64ToNumber, type IValueInfoProto } from "./onnx_proto.ts";

/** The ONNX `metadata_props` of serialized model `bytes`, as key -> value. */
export function readOnnxMetadataProps(bytes: Uint8Array, source = "model"): Record<string, string> {
  const model = decodeModel(bytes, source);
  const props: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) props[p.key ?? ""] = p.value ?? "";
  return props;
}

/** The edgeclass metadata of serialized model `bytes`; throws naming a missing or bad key. */
export function readOnnxMetadata(bytes: Uint8Array, source = "model"): ModelMetadata {
  return metadataFromProps(readOnnxMetadataProps(bytes, source), source);
}

/** Facts about the graph that model.json repeats for humans. */
export interface OnnxSummary {
  irVersion: number;
  /** Version of the default ("ai.onnx") opset. */
  opset: number;
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: { name: string; dims: (number | string)[] }[];
}

/** IR version, opset and graph inputs/outputs (symbolic dims by name, unknown as "?"). */
export function summarizeOnnx(bytes: Uint8Array, source = "model"): OnnxSummary {
  const model = decodeModel(bytes, source);
  const graph = model.graph;
  if (!graph) throw new Error(`${source}: ONNX model has no graph`);
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const io = (v: IValueInfoProto) => ({
    name: v.name ?? "",
    dims: (v.type?.tensorType?.shape?.dim ?? []).map((d): number | string =>
      d.dimParam
        ? d.dimParam
        : d.dimValue != null
        ? int64ToNumber(d.dimValue, `${source}: dim of '${v.name}'`)
        : "?"
    ),
  });
  const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === "ai.onnx");
  return {
    irVersion: int64ToNumber(model.irVersion, `${source}: ir_version`),
    opset: int64ToNumber(opset?.version, `${source}: opset`),
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name)).map(io),
    outputs: (graph.output ?? []).map(io),
  };
}
