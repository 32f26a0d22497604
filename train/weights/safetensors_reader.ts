/**
 * A small, strict reader for the safetensors format
 * (https://github.com/huggingface/safetensors#format):
 * 8-byte little-endian header length N, N bytes of UTF-8 JSON, then one byte buffer that the
 * header's `data_offsets` (relative to the buffer start) must cover exactly, without holes or
 * overlaps. Every rule is checked, because a truncated download or a hand-made file must fail
 * here with the file's name, not later as a silently wrong weight.
 * @module
 */

/** Safetensors dtype names and their sizes in bytes. */
export const SAFETENSORS_DTYPE_BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** The reference implementation refuses headers over 100 MB; so do we. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor of a safetensors file; `bytes` is a view into the file (no copy). */
export interface SafeTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** Raw little-endian bytes, `product(shape) * dtypeBytes` long. */
  bytes: Uint8Array;
}

/** A parsed safetensors file: tensors by name plus the optional `__metadata__` strings. */
export interface SafetensorsFile {
  source: string;
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

/**
 * Parses a safetensors file held in memory. `source` (usually the path) is named in every error.
 * Throws a RangeError for out-of-bounds sizes or offsets and a TypeError for a malformed header.
 */
export function readSafetensors(bytes: Uint8Array, source = "safetensors"): SafetensorsFile {
  const fail = (why: string, Err: typeof TypeError = TypeError): never => {
    throw new Err(`${source}: ${why}`);
  };
  if (bytes.length < 8) {
    fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`, RangeError);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`, RangeError);
  }
  const n = Number(headerLen);
  if (n < 2) fail(`header length ${n} is too small for a JSON object`, RangeError);
  if (8 + n > bytes.length) {
    fail(`header length ${n} runs past the end of the ${bytes.length}-byte file`, RangeError);
  }
  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
    if (!text.startsWith("{")) fail("header does not start with '{'");
    header = JSON.parse(text);
  } catch (e) {
    if (e instanceof TypeError && e.message.startsWith(source)) throw e;
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail("header must be a JSON object");
  }
  const data = bytes.subarray(8 + n);
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      metadata = parseMetadata(entry, fail);
      continue;
    }
    const e = entry as Record<string, unknown>;
    if (typeof e !== "object" || e === null || Array.isArray(e)) {
      fail(`tensor '${name}' entry must be an object`);
    }
    for (const k of Object.keys(e)) {
      if (!["dtype", "shape", "data_offsets"].includes(k)) {
        fail(`tensor '${name}' has unknown key '${k}'`);
      }
    }
    const dtype = e.dtype;
    if (typeof dtype !== "string" || !(dtype in SAFETENSORS_DTYPE_BYTES)) {
      fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)}`);
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}' shape must be an array of non-negative integers`);
    }
    const offsets = e.data_offsets;
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(`tensor '${name}' data_offsets must be [begin, end] non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) {
      fail(`tensor '${name}' data_offsets [${begin}, ${end}] are reversed`, RangeError);
    }
    if (end > data.length) {
      fail(
        `tensor '${name}' data_offsets end ${end} is past the ${data.length}-byte data buffer (truncated file?)`,
        RangeError,
      );
    }
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = count * SAFETENSORS_DTYPE_BYTES[dtype as string];
    if (end - begin !== expected) {
      fail(
        `tensor '${name}' has ${end - begin} bytes but ${dtype}${
          JSON.stringify(shape)
        } needs ${expected}`,
        RangeError,
      );
    }
    spans.push({ name, begin, end });
    tensors.set(name, {
      name,
      dtype: dtype as string,
      shape: [...(shape as number[])],
      bytes: data.subarray(begin, end),
    });
  }
  // The format requires the buffer to be indexed entirely: sorted spans must tile [0, length).
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const s of spans) {
    if (s.begin < cursor) {
      fail(`tensor '${s.name}' overlaps the previous tensor at byte ${s.begin}`, RangeError);
    }
    if (s.begin > cursor) {
      fail(`data buffer has a hole at bytes [${cursor}, ${s.begin})`, RangeError);
    }
    cursor = s.end;
  }
  if (cursor !== data.length) {
    fail(
      `data buffer has ${data.length - cursor} trailing bytes not owned by any tensor`,
      RangeError,
    );
  }
  return { source, tensors, metadata };
}

function parseMetadata(
  entry: unknown,
  fail: (why: string) => never,
): Record<string, string> {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    return fail("__metadata__ must be an object of strings");
  }
  for (const [k, v] of Object.entries(entry)) {
    if (typeof v !== "string") fail(`__metadata__ '${k}' must be a string`);
  }
  return { ...(entry as Record<string, string>) };
}

/** Converts an IEEE 754 half-precision bit pattern to a number (exact). */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal (and signed zero)
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * The tensor's values as float32 (F32 is copied, F16/BF16/F64 converted; both 16-bit formats
 * convert exactly). Integer and bool tensors throw, naming the file and tensor.
 */
export function tensorToFloat32(t: SafeTensor, source = "safetensors"): Float32Array {
  const b = t.bytes;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (t.dtype) {
    case "F32": {
      const out = new Float32Array(b.length / 4);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case "F16": {
      const out = new Float32Array(b.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = f16BitsToNumber(view.getUint16(i * 2, true));
      return out;
    }
    case "BF16": {
      // bfloat16 is the upper half of a float32: put its bits into the high 16 bits.
      const out = new Float32Array(b.length / 2);
      const outView = new DataView(out.buffer);
      for (let i = 0; i < out.length; i++) {
        outView.setUint32(i * 4, view.getUint16(i * 2, true) << 16, true);
        out[i] = outView.getFloat32(i * 4, true);
      }
      return out;
    }
    case "F64": {
      const out = new Float32Array(b.length / 8);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    default:
      throw new TypeError(
        `${source}: tensor '${t.name}' has dtype ${t.dtype}, which cannot be read as float32`,
      );
  }
}
