/**
 * Loads the decoders' `.wasm` files without Node's `fs`, so that decoding runs under Deno
 * Deploy's permissions (no FFI, no read access to `node_modules`) and in browsers.
 *
 * A file is loaded in this order: the caller's `import(specifier, { with: { type: "bytes" } })`
 * (Deno with `--unstable-raw-imports`: the module loader reads it, so no read permission is
 * needed, and the literal specifier puts the file in a deployment's module graph); else
 * `fetch(import.meta.resolve(specifier))` (Deno with read access, where the import map sends
 * it to a `file:` URL in `node_modules`, or a browser, where the page's import map sends it to
 * a URL). Where neither works (a bundle, a worker without an import map) the app supplies the
 * module or its bytes with `WasmLoader.set`, which each decoder exports under its own name.
 * @module
 */

/** A compiled module, or the bytes of a `.wasm` file. */
export type WasmSource = WebAssembly.Module | BufferSource;

/** `import(specifier, { with: { type: "bytes" } })`, written out by the caller. */
export type ImportBytes = () => Promise<{ default: unknown }>;

/**
 * One codec's wasm, compiled once on first use (or supplied with `set`) and shared by all its
 * instances. A failed load is not kept: the next `ready()` tries again.
 */
export class WasmLoader {
  #module: Promise<WebAssembly.Module> | null = null;

  /**
   * @param specifier the file as the import map names it, e.g. `imagescript/wasm/any/png.wasm`
   * @param importBytes the bytes import of that same specifier (a literal in the caller's module,
   *   so that bundlers and Deno Deploy see it)
   * @param setter the exported name of the codec's `set`, for error messages
   */
  constructor(
    readonly specifier: string,
    readonly importBytes: ImportBytes,
    readonly setter: string,
  ) {}

  /** Resolves to the compiled module; rejects with a plain `Error` saying how to supply it. */
  ready(): Promise<WebAssembly.Module> {
    if (!this.#module) {
      const p = this.#load();
      this.#module = p;
      p.catch(() => {
        if (this.#module === p) this.#module = null;
      });
    }
    return this.#module;
  }

  /** Supplies the wasm (a compiled module or the file's bytes); `null` restores the default. */
  set(wasm: WasmSource | null): void {
    if (wasm === null) this.#module = null;
    else if (wasm instanceof WebAssembly.Module) this.#module = Promise.resolve(wasm);
    else {
      const p = WebAssembly.compile(wasm);
      this.#module = p;
      p.catch(() => {}); // reported by ready(), not as an unhandled rejection here
    }
  }

  async #load(): Promise<WebAssembly.Module> {
    let bytes: Uint8Array | undefined;
    let importError: unknown;
    try {
      const mod = await this.importBytes();
      if (mod.default instanceof Uint8Array) bytes = mod.default;
      else importError = new TypeError("the bytes import did not give a Uint8Array");
    } catch (e) {
      // Browsers and Deno without --unstable-raw-imports refuse the "bytes" type.
      importError = e;
    }
    if (!bytes) bytes = await this.#fetch(importError);
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  }

  async #fetch(importError: unknown): Promise<Uint8Array> {
    const help = `run Deno with --unstable-raw-imports, or call ${this.setter}() with the wasm`;
    let url: string;
    try {
      url = import.meta.resolve(this.specifier);
    } catch (e) {
      throw new Error(
        `cannot load ${this.specifier}: bytes import failed (${importError}) and the import ` +
          `map has no entry for it (${e}); ${help}`,
        { cause: e },
      );
    }
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new Error(
        `cannot load ${this.specifier}: bytes import failed (${importError}) and fetching ` +
          `${url} failed (${e}); ${help}`,
        { cause: e },
      );
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`cannot load ${this.specifier}: fetching ${url} gave HTTP ${res.status}`);
    }
    return new Uint8Array(await res.arrayBuffer());
  }
}
