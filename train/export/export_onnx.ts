import type * as tf from "@tensorflow/tfjs";
import {
  EDGECLASS_VERSION,
  metadataToProps,
  type ModelMetadata,
} from "../../shared/model_metadata.ts";
import { batchNormParams } from "./convert_batch_norm.ts";
import { LAYER_CONVERTERS } from "./layer_converters.ts";
import type {
  BatchNormParams,
  ConvertContext,
  LayerWeight,
  OnnxValue,
  TfShape,
} from "./layer_converter.ts";
import { GraphBuilder } from "./onnx_graph_builder.ts";
import { encodeModel, type IModelProto, irVersionForOpset } from "./onnx_proto.ts";

// train/trainer.ts imports writeModelArtifacts from here; its home is write_model_artifacts.ts
export { writeModelArtifacts } from "./write_model_artifacts.ts";

/** Opset written when none is asked for. */
export const DEFAULT_OPSET = 17;
/**
 * Supported opsets. 13 is the floor (Clip with input bounds, Softmax over one axis); 17 is the
 * newest that the repo's reference checker (onnx 1.12) knows, and every op emitted here has the
 * same inference semantics across 13..17.
 */
export const MIN_OPSET = 13;
export const MAX_OPSET = 17;

/** Name of the graph input, float32 [batch, 3, H, W]. */
export const INPUT_NAME = "pixel_values";
/** Name of the graph output, float32 [batch, num_classes] (pre-softmax). */
export const OUTPUT_NAME = "logits";

/** Options of `exportOnnx`. */
export interface ExportOnnxOptions {
  /** ONNX opset, MIN_OPSET..MAX_OPSET (default DEFAULT_OPSET). */
  opset?: number;
  /** Fold each BatchNormalization into the Conv2D/DepthwiseConv2D feeding only it. */
  foldBatchNorm?: boolean;
}

// The parts of tfjs-layers' topology the walk reads (Node is not exported by @tensorflow/tfjs).
interface TfNode {
  inputTensors: tf.SymbolicTensor[];
  outputTensors: tf.SymbolicTensor[];
}
interface TfLayer {
  name: string;
  inboundNodes: TfNode[];
  weights: { originalName: string; dtype: string }[];
  getWeights(): tf.Tensor[];
  getClassName(): string;
  getConfig(): Record<string, unknown>;
}

/** One call of a layer in the functional graph: `layer.inboundNodes[nodeIndex]`. */
interface Application {
  layer: TfLayer;
  node: TfNode;
  key: string;
}

/**
 * Converts a tfjs LayersModel (NHWC, one image input, one logits output) into a serialized ONNX
 * ModelProto: input `pixel_values` float32 [batch, 3, H, W], output `logits` float32
 * [batch, labels.length], `meta` in metadata_props (see `metadataToProps`).
 *
 * The functional graph is walked generically from the output back through each layer's inbound
 * nodes, so any architecture built from supported layers exports. An unsupported layer, option
 * or shape throws an Error naming the layer and its class: never a silently different graph.
 */
export function exportOnnx(
  model: tf.LayersModel,
  meta: ModelMetadata,
  opts: ExportOnnxOptions = {},
): Uint8Array {
  const opset = opts.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new RangeError(`opset ${opset} is not supported (use ${MIN_OPSET}..${MAX_OPSET})`);
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(
      `model '${model.name}' has ${model.inputs.length} inputs and ${model.outputs.length} ` +
        "outputs; export needs exactly one image input and one logits output",
    );
  }
  const input = model.inputs[0];
  const output = model.outputs[0];
  const [height, width] = checkInputShape(input.shape, meta);
  checkOutputShape(output.shape, meta);

  const order = topologicalOrder(output);
  const consumers = countConsumers(order, output);
  const folds = opts.foldBatchNorm
    ? findFoldableBatchNorms(order, consumers)
    : new Map<string, Application>();
  const foldedBnKeys = new Set([...folds.values()].map((a) => a.key));

  const graph = new GraphBuilder();
  const values = new Map<number, OnnxValue>(); // SymbolicTensor.id -> its ONNX value
  for (const app of order) {
    const className = app.layer.getClassName();
    if (className === "InputLayer") {
      if (app.node.outputTensors[0].id !== input.id) {
        throw new Error(`layer '${app.layer.name}' (InputLayer) is not the model input`);
      }
      const name = graph.addInput(INPUT_NAME, ["batch", 3, height, width]);
      values.set(input.id, { name, shape: input.shape });
      continue;
    }
    if (foldedBnKeys.has(app.key)) {
      // folded into the conv before it: the BN output is that conv's output value
      const src = values.get(app.node.inputTensors[0].id)!;
      values.set(app.node.outputTensors[0].id, { ...src, shape: app.node.outputTensors[0].shape });
      continue;
    }
    const converter = LAYER_CONVERTERS[className];
    if (!converter) {
      throw new Error(
        `layer '${app.layer.name}' (class ${className}) is not supported by the ONNX exporter; ` +
          `supported classes: InputLayer, ${Object.keys(LAYER_CONVERTERS).join(", ")}`,
      );
    }
    const inputs = app.node.inputTensors.map((t) => {
      const v = values.get(t.id);
      if (!v) throw new Error(`layer '${app.layer.name}': input '${t.name}' was not converted`);
      return v;
    });
    const ctx = makeContext(graph, app, inputs, opset);
    const bn = folds.get(app.key);
    if (bn) ctx.foldedBatchNorm = batchNormParamsOf(bn, graph, opset, app.node.outputTensors[0]);
    const names = converter(ctx);
    if (names.length !== app.node.outputTensors.length) {
      ctx.fail(`converter returned ${names.length} outputs for ${app.node.outputTensors.length}`);
    }
    app.node.outputTensors.forEach((t, i) => values.set(t.id, { name: names[i], shape: t.shape }));
  }

  const result = values.get(output.id)!;
  if (graph.producerOp(result.name) === "Softmax") {
    throw new Error(
      `model output '${output.name}' comes out of a softmax; the ONNX output must be logits ` +
        "(build the model with a linear last layer; the edge applies softmax itself)",
    );
  }
  if (graph.producerOp(result.name) === undefined) {
    // the output is the input itself, or a constant: give it a node so it can carry the name
    graph.add("Identity", [result.name], OUTPUT_NAME);
  } else {
    graph.renameValue(result.name, OUTPUT_NAME);
  }
  graph.addOutput(OUTPUT_NAME, ["batch", meta.labels.length]);

  const modelProto: IModelProto = {
    irVersion: irVersionForOpset(opset),
    opsetImport: [{ domain: "", version: opset }],
    producerName: "edgeclass",
    producerVersion: EDGECLASS_VERSION,
    docString: `edgeclass ${meta.arch} classifier exported from tfjs model '${model.name}'`,
    graph: graph.build(meta.arch),
    metadataProps: Object.entries(metadataToProps(meta)).map(([key, value]) => ({ key, value })),
  };
  return encodeModel(modelProto);
}

function checkInputShape(shape: TfShape, meta: ModelMetadata): [number, number] {
  const [, h, w, c] = shape;
  if (shape.length !== 4 || c !== 3) {
    throw new Error(`model input must be [batch, H, W, 3] (NHWC RGB), got [${shape}]`);
  }
  if (typeof h !== "number" || typeof w !== "number") {
    throw new Error(`model input needs a static height and width, got [${shape}]`);
  }
  if (meta.inputSize[0] !== h || meta.inputSize[1] !== w) {
    throw new Error(
      `metadata inputSize [${meta.inputSize}] does not match the model input [${h}, ${w}]`,
    );
  }
  return [h, w];
}

function checkOutputShape(shape: TfShape, meta: ModelMetadata): void {
  if (shape.length !== 2 || typeof shape[1] !== "number") {
    throw new Error(`model output must be [batch, num_classes], got [${shape}]`);
  }
  if (shape[1] !== meta.labels.length) {
    throw new Error(
      `model outputs ${shape[1]} classes but the metadata has ${meta.labels.length} labels`,
    );
  }
}

function applicationOf(t: tf.SymbolicTensor): Application {
  const layer = t.sourceLayer as unknown as TfLayer;
  const node = layer.inboundNodes[t.nodeIndex];
  if (!node) throw new Error(`tensor '${t.name}' has no producing node in layer '${layer.name}'`);
  if ("layers" in layer) {
    throw new Error(
      `layer '${layer.name}' (class ${layer.getClassName()}) is a nested model; nested models ` +
        "are not supported by the ONNX exporter (build the model flat)",
    );
  }
  return { layer, node, key: `${layer.name}#${t.nodeIndex}` };
}

/** Layer applications that the output depends on, producers before consumers. */
function topologicalOrder(output: tf.SymbolicTensor): Application[] {
  const order: Application[] = [];
  const state = new Map<string, "visiting" | "done">();
  // iterative DFS: ResNet/EfficientNet graphs are deep enough to make recursion a worry
  const stack: { app: Application; expanded: boolean }[] = [
    { app: applicationOf(output), expanded: false },
  ];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.expanded) {
      stack.pop();
      if (state.get(top.app.key) !== "done") {
        state.set(top.app.key, "done");
        order.push(top.app);
      }
      continue;
    }
    top.expanded = true;
    state.set(top.app.key, "visiting");
    if (top.app.layer.getClassName() === "InputLayer") continue;
    for (const t of top.app.node.inputTensors) {
      const dep = applicationOf(t);
      const s = state.get(dep.key);
      if (s === "visiting") throw new Error(`cycle through layer '${dep.layer.name}'`);
      if (s !== "done") stack.push({ app: dep, expanded: false });
    }
  }
  return order;
}

/** How many times each tensor (by id) is read, the model output counting as one read. */
function countConsumers(order: Application[], output: tf.SymbolicTensor): Map<number, number> {
  const counts = new Map<number, number>([[output.id, 1]]);
  for (const app of order) {
    if (app.layer.getClassName() === "InputLayer") continue;
    for (const t of app.node.inputTensors) counts.set(t.id, (counts.get(t.id) ?? 0) + 1);
  }
  return counts;
}

/**
 * conv application key -> the BatchNormalization application to fold into it. Only a linear
 * Conv2D/DepthwiseConv2D whose output feeds that BN alone qualifies: otherwise some other
 * consumer would see the normalised values.
 */
function findFoldableBatchNorms(
  order: Application[],
  consumers: Map<number, number>,
): Map<string, Application> {
  const byOutput = new Map<number, Application>();
  for (const app of order) for (const t of app.node.outputTensors) byOutput.set(t.id, app);
  const folds = new Map<string, Application>();
  for (const app of order) {
    if (app.layer.getClassName() !== "BatchNormalization") continue;
    const inT = app.node.inputTensors[0];
    const conv = byOutput.get(inT.id);
    if (!conv || consumers.get(inT.id) !== 1 || folds.has(conv.key)) continue;
    const cls = conv.layer.getClassName();
    if (cls !== "Conv2D" && cls !== "DepthwiseConv2D") continue;
    if ((conv.layer.getConfig().activation ?? "linear") !== "linear") continue;
    if (conv.node.outputTensors.length !== 1 || conv.layer.inboundNodes.length !== 1) continue;
    folds.set(conv.key, app);
  }
  return folds;
}

function batchNormParamsOf(
  bnApp: Application,
  graph: GraphBuilder,
  opset: number,
  convOutput: tf.SymbolicTensor,
): BatchNormParams {
  // batchNormParams reads the BN's config, weights and input rank only; the value name is moot
  const input: OnnxValue = { name: "", shape: convOutput.shape };
  return batchNormParams(makeContext(graph, bnApp, [input], opset));
}

function makeContext(
  graph: GraphBuilder,
  app: Application,
  inputs: OnnxValue[],
  opset: number,
): ConvertContext {
  const { layer } = app;
  const className = layer.getClassName();
  let weights: Map<string, LayerWeight> | undefined;
  const fail = (why: string): never => {
    throw new Error(`layer '${layer.name}' (class ${className}): ${why}`);
  };
  return {
    graph,
    layerName: layer.name,
    className,
    config: layer.getConfig(),
    inputs,
    outputShapes: app.node.outputTensors.map((t) => t.shape),
    weight(suffix) {
      weights ??= readWeights(layer, fail);
      return weights.get(suffix);
    },
    opset,
    fail,
  };
}

function readWeights(layer: TfLayer, fail: (why: string) => never): Map<string, LayerWeight> {
  const tensors = layer.getWeights();
  const out = new Map<string, LayerWeight>();
  layer.weights.forEach((v, i) => {
    // originalName is "<layer>/<weight>"; the suffix is what Keras/tfjs call the weight
    const suffix = v.originalName.split("/").pop()!;
    if (v.dtype !== "float32") fail(`weight '${v.originalName}' is ${v.dtype}, not float32`);
    const t = tensors[i];
    out.set(suffix, { shape: t.shape, data: Float32Array.from(t.dataSync() as Float32Array) });
  });
  return out;
}
