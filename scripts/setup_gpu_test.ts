import assert from "node:assert/strict";
import { CUDA_DRIVER_LIB, TFJS_NODE_GPU_LIBS } from "../train/cuda_libs.ts";

const SCRIPT = new URL("./setup_gpu.ts", import.meta.url).pathname;

async function runSetup(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("setup_gpu without --yes changes nothing and reports every library as found or MISSING", async () => {
  const denoJson = await Deno.readTextFile(new URL("../deno.json", import.meta.url));
  const r = await runSetup([]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "", "no stack trace, no warnings");
  assert.match(
    r.stdout,
    /deno install --allow-scripts=npm:@tensorflow\/tfjs-node-gpu npm:@tensorflow\/tfjs-node-gpu@4\.22\.0/,
  );
  assert.match(r.stdout, /dry run/);
  for (const lib of [CUDA_DRIVER_LIB, ...TFJS_NODE_GPU_LIBS]) {
    const line = r.stdout.split("\n").find((l) => l.includes(` ${lib.soname} `));
    assert.ok(line, `${lib.soname} is reported`);
    assert.match(line, /^\s+(MISSING|found)\s/, line);
  }
  assert.match(r.stdout, /^nvidia-smi/m);
  assert.equal(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
    denoJson,
    "deno.json untouched",
  );
});

Deno.test("setup_gpu rejects an unknown flag, naming it", async () => {
  const r = await runSetup(["--yse"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown flag "--yse"/);
  assert.doesNotMatch(r.stdout, /deno install/);
});
