/**
 * edgeclass's fixes to tfjs-backend-webgpu 4.22, applied by train/backend.ts once the webgpu
 * backend is active:
 *
 * - uploads through `GPUQueue.writeBuffer` instead of mapped buffers
 *   (./write_buffer_uploads.ts),
 * - a tiled Conv2DBackpropFilter (./conv2d_backprop_filter_webgpu.ts).
 *
 * Both depend on the backend's internals as of 4.22.0, so they are applied only to 4.22.x.
 * `EDGECLASS_WEBGPU_PATCHES=0` leaves (or puts) tfjs's stock code in place; each call follows
 * the variable's current value, so one process can measure both.
 *
 * @module
 */
import webgpuPackage from "@tensorflow/tfjs-backend-webgpu/package.json" with { type: "json" };
import { registerConv2dBackpropFilterWebgpu } from "./conv2d_backprop_filter_webgpu.ts";
import { installWriteBufferUploads, type WebgpuBackendInternals } from "./write_buffer_uploads.ts";

/** The tfjs-backend-webgpu versions whose internals the patches were written against. */
export const PATCHED_VERSIONS = /^4\.22\.\d+$/;

/** What is installed, so the patches can be removed again. */
let installed: { backend: object; undo: (() => void)[] } | null = null;

/** False when EDGECLASS_WEBGPU_PATCHES=0; true otherwise and without --allow-env. */
export function webgpuPatchesWanted(): boolean {
  try {
    return Deno.env.get("EDGECLASS_WEBGPU_PATCHES") !== "0";
  } catch {
    return true;
  }
}

/** True while the patches are installed. */
export function webgpuPatchesActive(): boolean {
  return installed !== null;
}

function removePatches(): void {
  if (installed === null) return;
  for (const undo of installed.undo.reverse()) undo();
  installed = null;
}

/** Internals the patches use that this backend object lacks (empty when all are there). */
function missingInternals(backend: object): string[] {
  const b = backend as Record<string, unknown>;
  const wanted: [string, (v: unknown) => boolean][] = [
    ["uploadToGPU", (v) => typeof v === "function"],
    ["runWebGPUProgram", (v) => typeof v === "function"],
    ["submitQueue", (v) => typeof v === "function"],
    ["endComputePassEncoder", (v) => typeof v === "function"],
    ["commandQueueOwnedIds", (v) => v instanceof WeakSet],
    ["tensorMap", (v) => typeof (v as { get?: unknown })?.get === "function"],
    [
      "bufferManager",
      (v) => typeof (v as { acquireBuffer?: unknown })?.acquireBuffer === "function",
    ],
    ["queue", (v) => typeof (v as { writeBuffer?: unknown })?.writeBuffer === "function"],
  ];
  return wanted.filter(([k, ok]) => !ok(b[k])).map(([k]) => k);
}

/**
 * Installs the patches on the active webgpu backend, or removes them when `wanted` is false;
 * returns one line saying what holds now (for the backend log). Idempotent.
 *
 * @param backend `tf.backend()` while "webgpu" is active
 * @param wanted defaults to EDGECLASS_WEBGPU_PATCHES != "0"
 * @param version tfjs-backend-webgpu's version (a parameter for tests)
 */
export function applyWebgpuPatches(
  backend: object,
  wanted = webgpuPatchesWanted(),
  version: string = webgpuPackage.version,
): string {
  if (!wanted) {
    removePatches();
    return "edgeclass webgpu patches off (EDGECLASS_WEBGPU_PATCHES=0)";
  }
  if (!PATCHED_VERSIONS.test(version)) {
    removePatches();
    return `edgeclass webgpu patches not applied: written for tfjs-backend-webgpu 4.22.x, ` +
      `this is ${version}`;
  }
  const missing = missingInternals(backend);
  if (missing.length > 0) {
    removePatches();
    return `edgeclass webgpu patches not applied: the backend lacks ${missing.join(", ")}`;
  }
  const line = "edgeclass webgpu patches on: writeBuffer uploads, tiled Conv2DBackpropFilter";
  if (installed?.backend === backend) return line;
  removePatches();
  const undo: (() => void)[] = [];
  undo.push(installWriteBufferUploads(backend as WebgpuBackendInternals));
  try {
    undo.push(registerConv2dBackpropFilterWebgpu());
  } catch (err) {
    for (const u of undo.reverse()) u();
    return `edgeclass webgpu patches not applied: ${(err as Error).message}`;
  }
  installed = { backend, undo };
  return line;
}
