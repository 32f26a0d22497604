import { dirname, isAbsolute, join, normalize, sep } from "node:path";

/** Pulls exact byte counts out of a chunked stream. */
class StreamBytes {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Exactly `n` bytes, or fewer only when the stream ends first. */
  async read(n: number): Promise<Uint8Array> {
    while (this.#buffered < n) {
      const { value, done } = await this.#reader.read();
      if (done) break;
      this.#chunks.push(value);
      this.#buffered += value.length;
    }
    const take = Math.min(n, this.#buffered);
    const out = new Uint8Array(take);
    let at = 0;
    while (at < take) {
      const head = this.#chunks[0];
      const k = Math.min(head.length, take - at);
      out.set(head.subarray(0, k), at);
      at += k;
      if (k === head.length) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(k);
    }
    this.#buffered -= take;
    return out;
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** A tar numeric field: octal text, or base-256 when the top bit of the first byte is set. */
function tarNumber(field: Uint8Array, what: string): number {
  if (field[0] & 0x80) {
    let v = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i];
    return v;
  }
  const text = cString(field).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new SyntaxError(`tar: bad ${what} field '${text}'`);
  return parseInt(text, 8);
}

/** Path keys from a pax extended header ("<len> key=value\n" records). */
function paxPath(data: Uint8Array): string | undefined {
  const text = new TextDecoder().decode(data);
  let path: string | undefined;
  for (const rec of text.split("\n")) {
    const m = /^\d+ path=(.*)$/.exec(rec);
    if (m) path = m[1];
  }
  return path;
}

/** `name` as a path inside `destDir`; throws for absolute paths and `..` escapes. */
function safeJoin(destDir: string, name: string): string {
  const norm = normalize(name);
  if (isAbsolute(norm) || norm === ".." || norm.startsWith(`..${sep}`)) {
    throw new Error(`tar: refusing to extract '${name}' outside the target folder`);
  }
  return join(destDir, norm);
}

/**
 * Extracts a (ustar, GNU or pax) tar stream into `destDir`, writing regular files and folders.
 * Links and devices are skipped; paths that would leave `destDir` are an error. Each file is
 * held in memory once, so memory stays bounded by the largest member. Returns the member paths
 * written, relative to `destDir`.
 */
export async function extractTar(
  stream: ReadableStream<Uint8Array>,
  destDir: string,
): Promise<string[]> {
  const input = new StreamBytes(stream);
  const written: string[] = [];
  let longName: string | undefined;
  try {
    for (;;) {
      const header = await input.read(512);
      if (header.length === 0) break; // some writers omit the two zero blocks
      if (header.length < 512) throw new SyntaxError("tar: truncated header");
      if (header.every((b) => b === 0)) break;
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
      const stored = tarNumber(header.subarray(148, 156), "checksum");
      if (sum !== stored) throw new SyntaxError("tar: header checksum mismatch (corrupt archive?)");
      const size = tarNumber(header.subarray(124, 136), "size");
      const type = String.fromCharCode(header[156] || 0x30);
      const isUstar = cString(header.subarray(257, 263)).startsWith("ustar");
      let name = cString(header.subarray(0, 100));
      if (isUstar) {
        const prefix = cString(header.subarray(345, 500));
        if (prefix) name = `${prefix}/${name}`;
      }
      if (longName !== undefined) {
        name = longName;
        longName = undefined;
      }
      const data = await input.read(size);
      if (data.length < size) throw new SyntaxError(`tar: '${name}' is truncated`);
      const pad = (512 - (size % 512)) % 512;
      if ((await input.read(pad)).length < pad) throw new SyntaxError("tar: truncated padding");
      if (type === "L") {
        longName = cString(data);
      } else if (type === "x") {
        longName = paxPath(data) ?? longName;
      } else if (type === "5") {
        await Deno.mkdir(safeJoin(destDir, name), { recursive: true });
      } else if (type === "0" || type === "7") {
        const path = safeJoin(destDir, name);
        await Deno.mkdir(dirname(path), { recursive: true });
        await Deno.writeFile(path, data);
        written.push(normalize(name));
      }
      // Other types (links, devices, global pax headers) are ignored on purpose.
    }
  } finally {
    await input.cancel();
  }
  return written;
}

/** Extracts a `.tar.gz` file into `destDir` (gunzip via the web `DecompressionStream`). */
export async function extractTarGz(path: string, destDir: string): Promise<string[]> {
  const file = await Deno.open(path, { read: true });
  const stream = file.readable.pipeThrough(new DecompressionStream("gzip"));
  try {
    return await extractTar(stream, destDir);
  } catch (e) {
    throw new Error(`extracting ${path}: ${e instanceof Error ? e.message : e}`, { cause: e });
  }
}
