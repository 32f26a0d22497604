import assert from "node:assert/strict";
import { Golden, maxAbsDiff, SKIMAGE_DATA } from "../scripts/golden_preprocess.ts";
import { type ImportBytes, WasmLoader } from "./load_wasm.ts";

const PNG_WASM = "imagescript/wasm/any/png.wasm";
const ROOT = new URL("../", import.meta.url);
const DECODE_TS = new URL("./decode.ts", import.meta.url).href;
const IMAGE_ERROR_TS = new URL("./image_error.ts", import.meta.url).href;

const wasmBytes = () => Deno.readFile(new URL(import.meta.resolve(PNG_WASM)));
const exportNames = (m: WebAssembly.Module) => WebAssembly.Module.exports(m).map((e) => e.name);
const refused = () => Promise.reject(new TypeError('"bytes" is not a valid module type.'));

Deno.test("WasmLoader takes the bytes import first, then fetches the specifier", async () => {
  const bytes = await wasmBytes();
  const want = exportNames(new WebAssembly.Module(bytes));
  const cases: { name: string; specifier: string; importBytes: ImportBytes }[] = [
    // an unresolvable specifier proves the bytes were used
    {
      name: "bytes import",
      specifier: "no-such-package/x.wasm",
      importBytes: () => Promise.resolve({ default: bytes }),
    },
    { name: "fetch after a refused import", specifier: PNG_WASM, importBytes: refused },
    {
      name: "fetch after an import of the wrong type",
      specifier: PNG_WASM,
      importBytes: () => Promise.resolve({ default: "not bytes" }),
    },
  ];
  for (const c of cases) {
    const loader = new WasmLoader(c.specifier, c.importBytes, "setXWasm");
    const mod = await loader.ready();
    assert.deepEqual(exportNames(mod), want, c.name);
    assert.equal(await loader.ready(), mod, `${c.name}: compiled once`);
  }
});

Deno.test("WasmLoader says how to supply the wasm when it cannot load it, and retries", async () => {
  let calls = 0;
  const loader = new WasmLoader("no-such-package/x.wasm", () => {
    calls++;
    return refused();
  }, "setXWasm");
  for (let i = 1; i <= 2; i++) {
    await assert.rejects(loader.ready(), (e: unknown) => {
      const m = (e as Error).message;
      return e instanceof Error && /--unstable-raw-imports/.test(m) && /setXWasm\(\)/.test(m);
    });
    assert.equal(calls, i, "a failed load is not cached");
  }
});

Deno.test("WasmLoader.set takes a module or bytes; bad bytes reject; null restores the default", async () => {
  const bytes = await wasmBytes();
  const loader = new WasmLoader(PNG_WASM, refused, "setXWasm");
  const mod = new WebAssembly.Module(bytes);
  loader.set(mod);
  assert.equal(await loader.ready(), mod);
  loader.set(bytes);
  assert.deepEqual(exportNames(await loader.ready()), exportNames(mod));
  loader.set(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]));
  await assert.rejects(loader.ready(), WebAssembly.CompileError);
  loader.set(null);
  assert.deepEqual(exportNames(await loader.ready()), exportNames(mod));
});

/**
 * A script for `deno run` that decodes the given files (embedded as base64) and prints, per
 * file, the RGB pixels as base64 or the error's class and message.
 */
function decodeScript(files: Record<string, Uint8Array>): string {
  const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
  const inputs = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, b64(v)]));
  return `
import { decodeImage } from "${DECODE_TS}";
import { ImageError } from "${IMAGE_ERROR_TS}";
const inputs = ${JSON.stringify(inputs)};
const out = {};
for (const [name, b64] of Object.entries(inputs)) {
  try {
    const img = await decodeImage(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    out[name] = { rgb: btoa(String.fromCharCode(...img.data)) };
  } catch (e) {
    out[name] = { error: (e instanceof ImageError ? "ImageError " : "Error ") + e.message };
  }
}
console.log(JSON.stringify(out));
`;
}

Deno.test("decodeImage decodes JPEG, PNG and GIF with no read permission and no FFI", async () => {
  const golden = await Golden.create();
  try {
    // Small crops of a real photo, written and decoded by Pillow.
    const formats = { jpeg: "JPEG", png: "PNG", gif: "GIF" } as const;
    const names = Object.keys(formats) as (keyof typeof formats)[];
    await golden.run(names.map((f) => ({
      op: "make",
      input: `${SKIMAGE_DATA}/chelsea.png`,
      crop: [150, 60, 190, 90],
      format: formats[f],
      out: golden.path(f),
    })));
    await golden.run(names.map((f) => ({
      op: "decode",
      input: golden.path(f),
      out: golden.path(`${f}.rgb`),
    })));
    const files: Record<string, Uint8Array> = {};
    for (const f of names) files[f] = await Deno.readFile(golden.path(f));
    const script = golden.path("decode_script.ts");
    await Deno.writeTextFile(script, decodeScript(files));
    const run = async (flags: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        // Deno Deploy's permissions: no --allow-read, no --allow-ffi
        args: ["run", "--no-prompt", "--allow-net", "--allow-env", ...flags, script],
        cwd: ROOT,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.ok(out.success, stderr);
      return JSON.parse(new TextDecoder().decode(out.stdout)) as Record<
        string,
        { rgb?: string; error?: string }
      >;
    };
    const config = ["--config", new URL("deno.json", ROOT).pathname];

    const decoded = await run([...config, "--unstable-raw-imports"]);
    for (const f of names) {
      assert.equal(decoded[f].error, undefined, f);
      const rgb = Uint8Array.from(atob(decoded[f].rgb!), (c) => c.charCodeAt(0));
      assert.equal(maxAbsDiff(rgb, await Deno.readFile(golden.path(`${f}.rgb`))), 0, f);
    }

    // Without raw imports the wasm could only be read from node_modules: a plain Error (a
    // deployment fault, not a bad image) that says what to do.
    const refused = await run(config);
    for (const f of names) {
      assert.match(refused[f].error ?? "", /^Error .*--unstable-raw-imports/, f);
    }
  } finally {
    await golden.close();
  }
});
