import assert from "node:assert/strict";
import { findOnPath, findTf2onnxTools } from "./export_via_tf2onnx.ts";

async function dirWith(files: Record<string, number>): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const [name, mode] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, "#!/bin/sh\nexit 0\n");
    await Deno.chmod(`${dir}/${name}`, mode);
  }
  return dir;
}

Deno.test("findOnPath finds executables only, in PATH order", async () => {
  const a = await dirWith({ tool: 0o644 });
  const b = await dirWith({ tool: 0o755 });
  assert.equal(await findOnPath("tool", `${a}::/nonexistent:${b}`), `${b}/tool`);
  assert.equal(await findOnPath("tool", a), null);
  assert.equal(await findOnPath("tool", undefined), null);
  await Deno.remove(a, { recursive: true });
  await Deno.remove(b, { recursive: true });
});

Deno.test("findTf2onnxTools fails at once with an install hint when tensorflowjs_converter is absent", async () => {
  const empty = await Deno.makeTempDir();
  await assert.rejects(
    () => findTf2onnxTools({ PATH: empty }),
    /'tensorflowjs_converter' is not on PATH; install them with: pip install tensorflowjs tf2onnx/,
  );
  await Deno.remove(empty, { recursive: true });
});

Deno.test("findTf2onnxTools fails with the hint when python cannot import tf2onnx", async () => {
  const bin = await dirWith({ tensorflowjs_converter: 0o755 });
  // no python3 on this PATH at all
  await assert.rejects(
    () => findTf2onnxTools({ PATH: bin }),
    /'python3' is not on PATH; install them with: pip install/,
  );
  // a real python without tf2onnx (the system one here has onnx but not tf2onnx)
  const probe = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", "import tf2onnx"],
    stderr: "null",
  }).output();
  if (!probe.success) {
    await assert.rejects(
      () => findTf2onnxTools({ PATH: bin, TF2ONNX_PYTHON: "/usr/bin/python3" }),
      /'\/usr\/bin\/python3' cannot import tf2onnx; install them with/,
    );
  }
  await Deno.remove(bin, { recursive: true });
});
