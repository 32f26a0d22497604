import { metadataToProps, type ModelMetadata } from "../../shared/model_metadata.ts";
import { INPUT_NAME, OUTPUT_NAME } from "./export_onnx.ts";
import { summarizeOnnx } from "./read_onnx_metadata.ts";
import {
  decodeModel,
  encodeModel,
  type IGraphProto,
  type IValueInfoProto,
  onnx,
} from "./onnx_proto.ts";

const PREFIX = "edgeclass.";

/**
 * Makes an ONNX model produced elsewhere (tf2onnx from a tfjs graph model) an edgeclass artifact
 * with the same contract as `exportOnnx`:
 * - one image input, renamed `pixel_values`, NCHW [batch, 3, H, W] with H, W = meta.inputSize.
 *   An NHWC input [batch, H, W, 3] (tf2onnx's default) gets a Transpose in front of the graph;
 * - one output, renamed `logits`, [batch, labels.length] (checked: a count mismatch throws);
 * - every `edgeclass.*` metadata_props entry replaced by `meta` (other entries are kept).
 * Returns new bytes; errors name `source`.
 */
export function adoptForeignOnnx(
  bytes: Uint8Array,
  meta: ModelMetadata,
  source = "model",
): Uint8Array {
  const model = decodeModel(bytes, source);
  const graph = model.graph;
  if (!graph) throw new Error(`${source}: ONNX model has no graph`);
  const summary = summarizeOnnx(bytes, source);
  if (summary.inputs.length !== 1 || summary.outputs.length !== 1) {
    throw new Error(
      `${source}: needs 1 input and 1 output, has ${summary.inputs.length} and ${summary.outputs.length}`,
    );
  }
  const [input, output] = [summary.inputs[0], summary.outputs[0]];
  const [h, w] = meta.inputSize;
  const isNchw = input.dims.length === 4 && input.dims[1] === 3 && input.dims[2] === h &&
    input.dims[3] === w;
  const isNhwc = input.dims.length === 4 && input.dims[1] === h && input.dims[2] === w &&
    input.dims[3] === 3;
  if (!isNchw && !isNhwc) {
    throw new Error(
      `${source}: input '${input.name}' is [${input.dims}], expected [batch, 3, ${h}, ${w}] ` +
        `or [batch, ${h}, ${w}, 3]`,
    );
  }
  if (output.dims.length !== 2 || output.dims[1] !== meta.labels.length) {
    throw new Error(
      `${source}: output '${output.name}' is [${output.dims}], expected ` +
        `[batch, ${meta.labels.length}] for ${meta.labels.length} labels`,
    );
  }
  renameValue(graph, output.name, OUTPUT_NAME);
  if (isNhwc) {
    // keep the old NHWC input name as the Transpose's output, so no consumer changes
    const nhwcName = input.name;
    const inputs = graph.input ?? [];
    const i = inputs.findIndex((v) => v.name === nhwcName);
    inputs[i] = valueInfo(INPUT_NAME, ["batch", 3, h, w]);
    graph.node = [
      {
        name: `${INPUT_NAME}/to_nhwc`,
        opType: "Transpose",
        input: [INPUT_NAME],
        output: [nhwcName],
        attribute: [{
          name: "perm",
          type: onnx.AttributeProto.AttributeType.INTS,
          ints: [0, 2, 3, 1],
        }],
      },
      ...(graph.node ?? []),
    ];
  } else {
    renameValue(graph, input.name, INPUT_NAME);
    setBatchDim(graph.input ?? [], INPUT_NAME);
  }
  setBatchDim(graph.output ?? [], OUTPUT_NAME);
  const kept = (model.metadataProps ?? []).filter((p) => !(p.key ?? "").startsWith(PREFIX));
  const ours = Object.entries(metadataToProps(meta)).map(([key, value]) => ({ key, value }));
  model.metadataProps = [...kept, ...ours];
  return encodeModel(model);
}

function valueInfo(name: string, dims: (number | string)[]): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

/** Names dim 0 of value `name` "batch" (tf2onnx writes "unk__N" or a fixed 1). */
function setBatchDim(values: IValueInfoProto[], name: string): void {
  const dim = values.find((v) => v.name === name)?.type?.tensorType?.shape?.dim?.[0];
  if (dim) {
    dim.dimParam = "batch";
    dim.dimValue = null;
  }
}

/** Renames value `from` everywhere in `graph` (in place); no-op when the names agree. */
function renameValue(graph: IGraphProto, from: string, to: string): void {
  if (from === to) return;
  const taken = (graph.node ?? []).some((n) => n.output?.includes(to) || n.input?.includes(to)) ||
    (graph.initializer ?? []).some((t) => t.name === to);
  if (taken) throw new Error(`cannot rename '${from}' to '${to}': the graph already uses '${to}'`);
  const swap = (names: string[] | null | undefined) =>
    (names ?? []).map((n) => (n === from ? to : n));
  for (const node of graph.node ?? []) {
    node.input = swap(node.input);
    node.output = swap(node.output);
  }
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    if (v.name === from) v.name = to;
  }
}
