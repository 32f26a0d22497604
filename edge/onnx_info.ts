/**
 * Reads what the edge needs from an ONNX file without a runtime: `metadata_props` (where edgeclass
 * keeps labels and preprocessing) and the graph's declared inputs and outputs. ONNX Runtime's JS
 * API does not expose custom metadata, so this walks the protobuf wire format directly; it skips
 * initializer payloads, so it stays fast on large models.
 * @module
 */

/** One graph input or output: its name and shape (`-1` or a symbolic name for free dims). */
export interface OnnxValueInfo {
  name: string;
  /** ONNX TensorProto.DataType (1 = float32); 0 when not a tensor. */
  elemType: number;
  dims: (number | string)[];
}

/** The parts of an ONNX ModelProto that the edge reads. */
export interface OnnxInfo {
  metadataProps: Record<string, string>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** A protobuf field: number, wire type, and either a varint value or a byte range. */
interface Field {
  no: number;
  wire: number;
  varint: number;
  bytes: Uint8Array;
}

function* fields(buf: Uint8Array, what: string): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    // Values here are tags, lengths and dims: a double keeps 53 bits, enough for all of them.
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new TypeError(`${what}: truncated varint`);
      const b = buf[pos++];
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new TypeError(`${what}: varint too long`);
  };
  while (pos < buf.length) {
    const tag = varint();
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    if (no === 0) throw new TypeError(`${what}: field number 0 at byte ${pos}`);
    let skip = 0;
    let value = 0;
    switch (wire) {
      case WIRE_VARINT:
        value = varint();
        break;
      case WIRE_I64:
        skip = 8;
        break;
      case WIRE_LEN:
        skip = varint();
        break;
      case WIRE_I32:
        skip = 4;
        break;
      default:
        throw new TypeError(`${what}: unsupported wire type ${wire} at byte ${pos}`);
    }
    if (pos + skip > buf.length) throw new TypeError(`${what}: field ${no} runs past the end`);
    const bytes = buf.subarray(pos, pos + skip);
    pos += skip;
    yield { no, wire, varint: value, bytes };
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

function readValueInfo(buf: Uint8Array): OnnxValueInfo {
  const info: OnnxValueInfo = { name: "", elemType: 0, dims: [] };
  for (const f of fields(buf, "ValueInfoProto")) {
    if (f.no === 1 && f.wire === WIRE_LEN) info.name = utf8.decode(f.bytes);
    if (f.no !== 2 || f.wire !== WIRE_LEN) continue;
    for (const t of fields(f.bytes, "TypeProto")) {
      if (t.no !== 1 || t.wire !== WIRE_LEN) continue; // tensor_type
      for (const tt of fields(t.bytes, "TypeProto.Tensor")) {
        if (tt.no === 1 && tt.wire === WIRE_VARINT) info.elemType = tt.varint;
        if (tt.no !== 2 || tt.wire !== WIRE_LEN) continue; // shape
        for (const d of fields(tt.bytes, "TensorShapeProto")) {
          if (d.no !== 1 || d.wire !== WIRE_LEN) continue;
          let dim: number | string = -1;
          for (const dv of fields(d.bytes, "Dimension")) {
            if (dv.no === 1 && dv.wire === WIRE_VARINT) dim = dv.varint;
            if (dv.no === 2 && dv.wire === WIRE_LEN) dim = utf8.decode(dv.bytes) || -1;
          }
          info.dims.push(dim);
        }
      }
    }
  }
  return info;
}

/**
 * Parses the ModelProto in `bytes`. Throws a TypeError naming `source` when the bytes are not an
 * ONNX model (no graph).
 */
export function readOnnxInfo(bytes: Uint8Array, source = "model"): OnnxInfo {
  const out: OnnxInfo = { metadataProps: {}, inputs: [], outputs: [] };
  let sawGraph = false;
  try {
    for (const f of fields(bytes, "ModelProto")) {
      if (f.no === 14 && f.wire === WIRE_LEN) {
        let key = "";
        let value = "";
        for (const e of fields(f.bytes, "StringStringEntryProto")) {
          if (e.no === 1 && e.wire === WIRE_LEN) key = utf8.decode(e.bytes);
          if (e.no === 2 && e.wire === WIRE_LEN) value = utf8.decode(e.bytes);
        }
        out.metadataProps[key] = value;
      } else if (f.no === 7 && f.wire === WIRE_LEN) {
        sawGraph = true;
        for (const g of fields(f.bytes, "GraphProto")) {
          if (g.no === 11 && g.wire === WIRE_LEN) out.inputs.push(readValueInfo(g.bytes));
          if (g.no === 12 && g.wire === WIRE_LEN) out.outputs.push(readValueInfo(g.bytes));
        }
      }
    }
  } catch (e) {
    throw new TypeError(`${source}: not a valid ONNX file (${(e as Error).message})`);
  }
  if (!sawGraph) throw new TypeError(`${source}: not a valid ONNX file (no graph)`);
  return out;
}
