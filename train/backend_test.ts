import assert from "node:assert/strict";
import { BACKEND_CHOICES, type BackendChoice, chooseBackend, tf } from "./backend.ts";
import { WASM_KERNEL_NAMES } from "./wasm_kernels.ts";

const nodeInstalled = (pkg: string) => {
  try {
    Deno.statSync(new URL(`../node_modules/@tensorflow/${pkg}/package.json`, import.meta.url));
    return true;
  } catch {
    return false;
  }
};

Deno.test("chooseBackend sets and verifies cpu and wasm", async () => {
  for (const choice of ["cpu", "wasm"] as const) {
    const lines: string[] = [];
    const result = await chooseBackend(choice, (l) => lines.push(l));
    assert.equal(result.name, choice);
    assert.equal(tf.getBackend(), choice);
    assert.match(result.reasons.at(-1) ?? "", new RegExp(`using ${choice}`));
    assert.deepEqual(lines, result.reasons.map((r) => `backend: ${r}`));
  }
});

Deno.test("chooseBackend wasm registers the gradient kernels wasm lacks", async () => {
  await chooseBackend("wasm", () => {});
  for (const name of [...WASM_KERNEL_NAMES.added, ...WASM_KERNEL_NAMES.replaced]) {
    assert.ok(tf.getKernel(name, "wasm"), name);
  }
  // The one tfjs cannot train conv nets without on wasm.
  const w = tf.variable(tf.ones([3, 3, 2, 2]));
  const g = tf.variableGrads(() =>
    tf.sum(tf.conv2d(tf.ones([1, 5, 5, 2]) as tf.Tensor4D, w as tf.Tensor4D, 1, "same"))
  );
  assert.equal(g.grads[w.name].shape.join(), "3,3,2,2");
});

Deno.test("chooseBackend auto explains each skipped backend and lands on a working one", async () => {
  const lines: string[] = [];
  const result = await chooseBackend("auto", (l) => lines.push(l));
  if (!nodeInstalled("tfjs-node-gpu") && !nodeInstalled("tfjs-node")) {
    assert.equal(result.name, "wasm");
    assert.match(result.reasons[0], /skipped tfjs-node-gpu: .*not installed/);
    assert.match(result.reasons[1], /skipped tfjs-node: .*not installed/);
    assert.ok(lines.some((l) => l.includes("deno install --allow-scripts")), "install hint");
  }
  assert.equal(tf.getBackend(), result.name);
});

Deno.test("chooseBackend tensorflow without tfjs-node fails with install instructions", async () => {
  if (nodeInstalled("tfjs-node-gpu") || nodeInstalled("tfjs-node")) return;
  const lines: string[] = [];
  await assert.rejects(
    chooseBackend("tensorflow", (l) => lines.push(l)),
    /"tensorflow" is not available/,
  );
  const text = lines.join("\n");
  assert.match(text, /nodeModulesDir/);
  assert.match(text, /deno install --allow-scripts=npm:@tensorflow\/tfjs-node-gpu/);
  assert.match(text, /CUDA 11\.2/);
});

Deno.test("chooseBackend webgpu either works or says why not", async () => {
  try {
    const r = await chooseBackend("webgpu", () => {});
    assert.equal(r.name, "webgpu");
  } catch (err) {
    assert.match((err as Error).message, /backend "webgpu" is not available: skipped webgpu: \S/);
  }
  await chooseBackend("cpu", () => {});
});

Deno.test("chooseBackend rejects unknown names", async () => {
  await assert.rejects(chooseBackend("gpu" as BackendChoice, () => {}), TypeError);
  assert.deepEqual([...BACKEND_CHOICES].sort(), ["auto", "cpu", "tensorflow", "wasm", "webgpu"]);
});
