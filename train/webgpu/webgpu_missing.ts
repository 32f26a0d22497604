/**
 * For the WebGPU tests: whether this Deno has a WebGPU adapter (a GPU, or Mesa's llvmpipe
 * Vulkan driver from Debian's mesa-vulkan-drivers). Tests skip with the printed reason where
 * none exists, and fail instead when EDGECLASS_REQUIRE_WEBGPU=1 (as train/webgpu_train_test.ts).
 *
 * @module
 */

/** Null when a WebGPU adapter exists, else why not. */
export async function webgpuMissing(): Promise<string | null> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (gpu === undefined) return "navigator.gpu is undefined in this Deno";
  try {
    if (await gpu.requestAdapter() === null) {
      return "navigator.gpu.requestAdapter() returned null (no GPU, no Vulkan driver: " +
        "apt-get install mesa-vulkan-drivers gives the llvmpipe software adapter)";
    }
  } catch (err) {
    return `requestAdapter() threw: ${err instanceof Error ? err.message : err}`;
  }
  return null;
}

/**
 * `ignore` for Deno.test: true when there is no adapter and EDGECLASS_REQUIRE_WEBGPU is not 1.
 * Prints why once; `requireWebgpu` (call first in each test) fails when it is required.
 */
export async function webgpuTestGate(
  file: string,
): Promise<{ ignore: boolean; requireWebgpu: () => void }> {
  const required = Deno.env.get("EDGECLASS_REQUIRE_WEBGPU") === "1";
  const missing = await webgpuMissing();
  if (missing !== null) {
    console.log(
      `${file}: ${
        required ? "EDGECLASS_REQUIRE_WEBGPU=1, so the tests FAIL" : "skipped"
      }: ${missing}`,
    );
  }
  return {
    ignore: missing !== null && !required,
    requireWebgpu: () => {
      if (missing !== null) throw new Error(`EDGECLASS_REQUIRE_WEBGPU=1 but ${missing}`);
    },
  };
}
