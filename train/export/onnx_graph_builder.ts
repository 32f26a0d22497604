import { assert } from "../../shared/assert.ts";
import {
  type IAttributeProto,
  type IGraphProto,
  type INodeProto,
  type ITensorProto,
  type IValueInfoProto,
  onnx,
} from "./onnx_proto.ts";

/** One ONNX node attribute, tagged with its protobuf type (a bare `1` could be INT or FLOAT). */
export type OnnxAttribute =
  | { type: "int"; value: number }
  | { type: "ints"; value: number[] }
  | { type: "float"; value: number }
  | { type: "string"; value: string };

/** INT attribute. */
export const attrInt = (value: number): OnnxAttribute => ({ type: "int", value });
/** INTS attribute. */
export const attrInts = (value: number[]): OnnxAttribute => ({ type: "ints", value });
/** FLOAT attribute (stored as float32, like every ONNX float attribute). */
export const attrFloat = (value: number): OnnxAttribute => ({ type: "float", value });
/** STRING attribute. */
export const attrString = (value: string): OnnxAttribute => ({ type: "string", value });

/** A graph input/output dimension: a fixed size or a symbolic name such as "batch". */
export type OnnxDim = number | string;

const DataType = onnx.TensorProto.DataType;
const AttrType = onnx.AttributeProto.AttributeType;

/**
 * Accumulates nodes, initializers and graph inputs/outputs, hands out unique value names, and
 * produces a GraphProto. Values are plain strings, as in ONNX itself.
 */
export class GraphBuilder {
  readonly #nodes: INodeProto[] = [];
  readonly #initializers: ITensorProto[] = [];
  readonly #inputs: IValueInfoProto[] = [];
  readonly #outputs: IValueInfoProto[] = [];
  readonly #used = new Set<string>();

  /** `base`, or `base_2`, `base_3`, ... when taken. ONNX requires graph-wide unique names. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 2; this.#used.has(name); i++) name = `${base}_${i}`;
    this.#used.add(name);
    return name;
  }

  /** Declares a float32 graph input. */
  addInput(name: string, dims: OnnxDim[]): string {
    assert(!this.#used.has(name), `graph input name '${name}' already used`);
    this.#used.add(name);
    this.#inputs.push(valueInfo(name, dims));
    return name;
  }

  /** Declares an existing value as a float32 graph output. */
  addOutput(name: string, dims: OnnxDim[]): void {
    assert(this.#used.has(name), `graph output '${name}' is not a value of the graph`);
    this.#outputs.push(valueInfo(name, dims));
  }

  /** Adds a float32 constant; `data` is copied, so callers may reuse their buffer. */
  addFloatInitializer(base: string, dims: number[], data: Float32Array): string {
    assert(
      data.length === dims.reduce((a, b) => a * b, 1),
      `initializer '${base}': ${data.length} values for dims [${dims}]`,
    );
    const name = this.uniqueName(base);
    const raw = new Uint8Array(data.length * 4);
    const view = new DataView(raw.buffer);
    // ONNX raw_data is little-endian whatever the host
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
    this.#initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: raw });
    return name;
  }

  /** Adds an int64 constant (shapes for Reshape, pads for Pad). */
  addInt64Initializer(base: string, dims: number[], data: number[]): string {
    assert(
      data.length === dims.reduce((a, b) => a * b, 1),
      `initializer '${base}': ${data.length} values for dims [${dims}]`,
    );
    assert(data.every(Number.isSafeInteger), `initializer '${base}': values must be integers`);
    const name = this.uniqueName(base);
    const raw = new Uint8Array(data.length * 8);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) view.setBigInt64(i * 8, BigInt(data[i]), true);
    this.#initializers.push({ name, dims, dataType: DataType.INT64, rawData: raw });
    return name;
  }

  /**
   * Appends a node reading `inputs` (existing value names) and returns its output names, made
   * unique from `outputBases`. Nodes must be added in topological order, as ONNX requires.
   */
  addNode(
    opType: string,
    inputs: string[],
    outputBases: string[],
    attributes: Record<string, OnnxAttribute> = {},
  ): string[] {
    for (const input of inputs) {
      assert(this.#used.has(input), `${opType} input '${input}' is not defined yet`);
    }
    const outputs = outputBases.map((b) => this.uniqueName(b));
    this.#nodes.push({
      name: this.uniqueName(`${outputs[0]}/${opType}`),
      opType,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([name, a]) => toAttributeProto(name, a)),
    });
    return outputs;
  }

  /** Like `addNode` with one output; returns that output's name. */
  add(
    opType: string,
    inputs: string[],
    outputBase: string,
    attributes: Record<string, OnnxAttribute> = {},
  ): string {
    return this.addNode(opType, inputs, [outputBase], attributes)[0];
  }

  /**
   * Renames a value everywhere (producer and consumers). Used to give the model output its
   * public name after the walk, when the last layer did not know it was last.
   */
  renameValue(from: string, to: string): void {
    assert(this.#used.has(from), `renameValue: '${from}' is not a value`);
    assert(!this.#used.has(to), `renameValue: '${to}' is already used`);
    assert(
      !this.#inputs.some((v) => v.name === from) &&
        !this.#initializers.some((t) => t.name === from),
      `renameValue: '${from}' is a graph input or initializer`,
    );
    const swap = (names: string[]) => names.map((n) => (n === from ? to : n));
    for (const node of this.#nodes) {
      node.input = swap(node.input ?? []);
      node.output = swap(node.output ?? []);
    }
    for (const out of this.#outputs) if (out.name === from) out.name = to;
    this.#used.delete(from);
    this.#used.add(to);
  }

  /** The op type of the node producing `name`; undefined for graph inputs and initializers. */
  producerOp(name: string): string | undefined {
    return this.#nodes.find((n) => n.output?.includes(name))?.opType ?? undefined;
  }

  /** The finished graph. */
  build(name: string): IGraphProto {
    assert(this.#inputs.length > 0 && this.#outputs.length > 0, "graph needs inputs and outputs");
    return {
      name,
      node: this.#nodes,
      initializer: this.#initializers,
      input: this.#inputs,
      output: this.#outputs,
    };
  }
}

function valueInfo(name: string, dims: OnnxDim[]): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: {
          dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

function toAttributeProto(name: string, a: OnnxAttribute): IAttributeProto {
  switch (a.type) {
    case "int":
      assert(Number.isSafeInteger(a.value), `attribute ${name} must be an integer`);
      return { name, type: AttrType.INT, i: a.value };
    case "ints":
      assert(a.value.every(Number.isSafeInteger), `attribute ${name} must be integers`);
      return { name, type: AttrType.INTS, ints: a.value };
    case "float":
      return { name, type: AttrType.FLOAT, f: a.value };
    case "string":
      return { name, type: AttrType.STRING, s: new TextEncoder().encode(a.value) };
  }
}
