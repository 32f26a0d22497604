import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { chooseBackend } from "./backend.ts";
import { clipGradNorm } from "./clip_grad_norm.ts";

await chooseBackend("cpu", () => {});

async function torchClip(grads: number[][], maxNorm: number) {
  const code = `
import json, sys, torch
a = json.load(sys.stdin)
ps = [torch.nn.Parameter(torch.zeros(len(g))) for g in a["grads"]]
for p, g in zip(ps, a["grads"]): p.grad = torch.tensor(g, dtype=torch.float32)
norm = torch.nn.utils.clip_grad_norm_(ps, a["max"])
print(json.dumps({"norm": norm.item(), "grads": [p.grad.tolist() for p in ps]}))
`;
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", code],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify({ grads, max: maxNorm })));
  await w.close();
  const out = await child.output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout)) as { norm: number; grads: number[][] };
}

const grads = [[3, -4, 1], [0.5, 2], [-7]];
for (const maxNorm of [1, 5, 100]) {
  Deno.test(`clipGradNorm matches torch clip_grad_norm_ (max ${maxNorm})`, async () => {
    const ref = await torchClip(grads, maxNorm);
    const map: tf.NamedTensorMap = {
      a: tf.tensor1d(grads[0]),
      b: tf.tensor1d(grads[1]),
      c: tf.tensor1d(grads[2]),
    };
    const { grads: out, norm } = clipGradNorm(map, maxNorm);
    assert.ok(Math.abs(norm - ref.norm) < 1e-5, `${norm} vs ${ref.norm}`);
    ["a", "b", "c"].forEach((k, i) => {
      Array.from(out[k].dataSync()).forEach((g, j) =>
        assert.ok(Math.abs(g - ref.grads[i][j]) < 1e-6, `${k}[${j}] ${g} vs ${ref.grads[i][j]}`)
      );
    });
    tf.dispose([...Object.values(map), ...Object.values(out)]);
  });
}
