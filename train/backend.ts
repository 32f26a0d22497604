/**
 * The one place in train/ that imports TensorFlow.js backends and picks one.
 *
 * Everything else in train/ imports `tf` from here (or "@tensorflow/tfjs" directly) and
 * stays backend-agnostic. Await `chooseBackend` before the first tf op: importing the wasm
 * backend makes it the highest-priority backend, and tf ops before its asynchronous
 * initialization throw "The highest priority backend 'wasm' has not yet been initialized".
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
// Static import on purpose: it registers the "wasm" backend factory (lazy, nothing loads yet).
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "./wasm_kernels.ts";
import { registerSimdKernels } from "./simd/register_simd_kernels.ts";
import { getSimdPool } from "./simd/simd_pool.ts";
import { summarizeCudaLibReport } from "./cuda_libs.ts";
import { explainNodeLoadFailure } from "./explain_node_load_failure.ts";
import { probeCudaLibs } from "./probe_cuda_libs.ts";
import { applyWebgpuPatches } from "./webgpu/webgpu_patches.ts";

export { tf };

/** Backend names accepted on the command line. */
export type BackendChoice = "auto" | "tensorflow" | "wasm" | "cpu" | "webgpu";

/** All accepted `BackendChoice` values, for CLI parsing and help text. */
export const BACKEND_CHOICES: readonly BackendChoice[] = [
  "auto",
  "tensorflow",
  "wasm",
  "cpu",
  "webgpu",
];

/** What `chooseBackend` settled on. */
export interface BackendResult {
  /** `tf.getBackend()` after the switch: "tensorflow" | "wasm" | "cpu" | "webgpu". */
  name: string;
  /** One line per backend tried, saying why it was used or skipped. */
  reasons: string[];
}

/** How to get the native TensorFlow backend under Deno; printed when it is missing. */
export const TFJS_NODE_INSTALL_HINT = [
  "To use the native TensorFlow backend (much faster than wasm/cpu):",
  '  1. keep "nodeModulesDir": "auto" in deno.json and add to "imports":',
  '       "@tensorflow/tfjs-node-gpu": "npm:@tensorflow/tfjs-node-gpu@4.22.0"  (CUDA 11.2 + cuDNN 8.1)',
  '     or "@tensorflow/tfjs-node": "npm:@tensorflow/tfjs-node@4.22.0"          (CPU only)',
  "  2. deno install --allow-scripts=npm:@tensorflow/tfjs-node-gpu   (or npm:@tensorflow/tfjs-node)",
  "     The install script downloads libtensorflow; Deno skips it without --allow-scripts.",
  "  See tfjs issues #8362, #8187, #8581 for Deno/Node-API caveats.",
].join("\n");

/** Where Deno puts npm packages when deno.json has "nodeModulesDir": "auto". */
const NODE_MODULES = new URL("../node_modules/", import.meta.url);

let wasmPathsSet = false;
let hintShown = false;

const NOT_INSTALLED = "is not installed in node_modules/";

/** True when a native backend was skipped only because its package is missing. */
function nodeSkippedUninstalled(reasons: string[]): boolean {
  return reasons.some((r) => r.includes(NOT_INSTALLED));
}

/** Prints TFJS_NODE_INSTALL_HINT, once per process unless `always`. */
function showInstallHint(log: (line: string) => void, always = false): void {
  if (hintShown && !always) return;
  hintShown = true;
  log(TFJS_NODE_INSTALL_HINT);
}

/**
 * Selects and initializes a tfjs backend, verifying the switch with `tf.getBackend()`
 * (`setBackend` can silently leave another backend active).
 *
 * `auto` tries tfjs-node-gpu, tfjs-node, wasm, cpu in that order. An explicit choice that
 * cannot be initialized throws an Error explaining why instead of falling back.
 *
 * @param choice backend to use, or "auto"
 * @param log receives one line per decision (defaults to console.error so stdout stays clean)
 */
export async function chooseBackend(
  choice: BackendChoice,
  log: (line: string) => void = (line) => console.error(line),
): Promise<BackendResult> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new TypeError(
      `unknown backend "${choice}"; expected one of ${BACKEND_CHOICES.join(", ")}`,
    );
  }
  const reasons: string[] = [];
  const note = (line: string) => {
    reasons.push(line);
    log(`backend: ${line}`);
  };
  const attempts: Array<[string, () => Promise<Attempt>]> = choice === "auto"
    ? [
      ["tfjs-node-gpu", () => tryNode("tfjs-node-gpu")],
      ["tfjs-node", () => tryNode("tfjs-node")],
      ["wasm", tryWasm],
      ["cpu", tryCpu],
    ]
    : choice === "tensorflow"
    ? [
      ["tfjs-node-gpu", () => tryNode("tfjs-node-gpu")],
      ["tfjs-node", () => tryNode("tfjs-node")],
    ]
    : choice === "wasm"
    ? [["wasm", tryWasm]]
    : choice === "webgpu"
    ? [["webgpu", tryWebgpu]]
    : [["cpu", tryCpu]];

  for (const [label, attempt] of attempts) {
    let outcome: Attempt;
    try {
      outcome = await attempt();
    } catch (err) {
      outcome = firstLine(err);
    }
    if (typeof outcome !== "string") {
      if (nodeSkippedUninstalled(reasons)) showInstallHint(log);
      const name = tf.getBackend();
      note(
        `using ${label} (tf.getBackend() = "${name}")${
          outcome.detail ? `; ${outcome.detail}` : ""
        }`,
      );
      return { name, reasons };
    }
    note(`skipped ${label}: ${outcome}`);
  }
  // Nothing worked: the hint is part of the error story every time.
  if (nodeSkippedUninstalled(reasons)) showInstallHint(log, true);
  throw new Error(`backend "${choice}" is not available: ${reasons.join("; ")}`);
}

/** Why a backend could not be used, or that it is active (with an optional remark). */
type Attempt = string | { detail?: string };

/** Switches to `name`; verified with getBackend because setBackend may keep another one. */
async function activate(name: string, detail?: string): Promise<Attempt> {
  const ok = await tf.setBackend(name);
  await tf.ready();
  const active = tf.getBackend();
  if (!ok || active !== name) {
    return `setBackend("${name}") left "${active}" active`;
  }
  return { detail };
}

/** Loads a native tfjs-node package if it is installed. */
async function tryNode(pkg: "tfjs-node-gpu" | "tfjs-node"): Promise<Attempt> {
  const installed = await exists(new URL(`@tensorflow/${pkg}/package.json`, NODE_MODULES));
  if (!installed) {
    // Importing it anyway would make Deno fetch it from npm without its install script.
    return `@tensorflow/${pkg} ${NOT_INSTALLED} (see install hint)`;
  }
  // A computed specifier keeps `deno check` and `deno install` from needing the package.
  const specifier = ["@tensorflow", pkg].join("/");
  try {
    await import(specifier);
  } catch (err) {
    return `@tensorflow/${pkg} failed to load: ${firstLine(err)} ` +
      await explainNodeLoadFailure(pkg, firstLine(err));
  }
  // libtensorflow opens CUDA lazily and silently stays on the CPU without it: say so up front.
  const cuda = pkg === "tfjs-node-gpu" ? await probeCudaLibs() : null;
  return await activate(
    "tensorflow",
    `native TensorFlow via @tensorflow/${pkg}` +
      (cuda !== null && cuda.missing.length > 0
        ? `, on the CPU only: ${summarizeCudaLibReport(cuda)}`
        : ""),
  );
}

/** Initializes the wasm backend from the local .wasm files, single-threaded. */
async function tryWasm(): Promise<Attempt> {
  if (!wasmPathsSet) {
    const dist = new URL("@tensorflow/tfjs-backend-wasm/dist/", NODE_MODULES);
    // Without an explicit path the node bundle guesses its own directory, which breaks when
    // the module is loaded from Deno's global cache instead of node_modules/.
    if (await exists(new URL("tfjs-backend-wasm-simd.wasm", dist))) setWasmPaths(dist.href);
    wasmPathsSet = true;
  }
  // The threaded binary needs SharedArrayBuffer workers created from blob URLs, which Deno
  // does not provide the way Emscripten expects; pin the single-threaded SIMD build.
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  const outcome = await activate("wasm");
  if (typeof outcome === "string") return outcome;
  registerWasmKernels();
  // Our SIMD128 kernels (csrc/, built by `deno task build:wasm`) replace the slowest training
  // kernels; EDGECLASS_SIMD=0 keeps the stock ones. They are bit-reproducible on any thread
  // count (train/simd/conv2d_geometry.ts dwSlotPositions), so exact --resume holds.
  if (!simdWanted()) {
    return { detail: "stock SIMD kernels + extra gradient kernels (EDGECLASS_SIMD=0)" };
  }
  try {
    registerSimdKernels();
  } catch (err) {
    console.error(
      "backend: edgeclass SIMD kernels not loaded, training uses the slower stock wasm " +
        `kernels: ${(err as Error).message}`,
    );
    return { detail: "stock SIMD kernels + extra gradient kernels (edgeclass kernels missing)" };
  }
  // Start the pool's workers now and wait for them: a worker loads its module on the event
  // loop, which a training step (synchronous kernels from start to end) never yields to, so a
  // pool first created inside a step could run every chunk on this thread for many steps.
  const pool = getSimdPool();
  if (pool !== null && !(await pool.whenReady())) {
    console.error("backend: SIMD worker threads did not start within 10 s; using this thread");
  }
  const threads = pool?.threads ?? 1;
  return {
    detail: `edgeclass SIMD128 training kernels, big convolutions on ${threads} thread${
      threads === 1 ? "" : "s"
    }`,
  };
}

/** EDGECLASS_SIMD=0 turns our SIMD kernels off; without --allow-env they stay on. */
function simdWanted(): boolean {
  try {
    return Deno.env.get("EDGECLASS_SIMD") !== "0";
  } catch {
    return true;
  }
}

function tryCpu(): Promise<Attempt> {
  return activate("cpu", "plain JavaScript kernels (slowest)");
}

/** The part of Deno's WebGPU adapter we look at. */
interface GpuAdapterLike {
  info?: { description?: string; vendor?: string; isFallbackAdapter?: boolean };
}

/** WebGPU through Deno's navigator.gpu; needs a GPU adapter. */
async function tryWebgpu(): Promise<Attempt> {
  const gpu = (globalThis.navigator as {
    gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> };
  })?.gpu;
  if (gpu === undefined) return "navigator.gpu is undefined in this runtime";
  const adapter = await gpu.requestAdapter();
  if (adapter === null) return "navigator.gpu.requestAdapter() returned null (no usable GPU)";
  const info = adapter.info ?? {};
  const fallback = info.isFallbackAdapter === true ||
    /llvmpipe|swiftshader/i.test(info.description ?? "");
  const detail = `adapter "${info.description || info.vendor || "unknown"}"` +
    (fallback ? " is a software fallback: expect it to be slower than wasm" : "");
  // Imported lazily: importing registers a high-priority backend we only want on request.
  await import("@tensorflow/tfjs-backend-webgpu");
  const outcome = await activate("webgpu", detail);
  if (typeof outcome === "string") return outcome;
  // writeBuffer uploads + tiled Conv2DBackpropFilter; EDGECLASS_WEBGPU_PATCHES=0 turns them off
  return { detail: `${detail}; ${applyWebgpuPatches(tf.backend())}` };
}

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch {
    return false;
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0];
}
