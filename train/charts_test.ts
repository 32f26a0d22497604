import assert from "node:assert/strict";
import { confusionSpec, curvesSpec, renderConfusion, renderCurves } from "./charts.ts";

/** Pillow's view of a PNG: size, and how many pixels are near the given colours. */
async function pillowStats(png: Uint8Array, colors: number[][]) {
  const code = `
import io, json, sys
from PIL import Image
im = Image.open(io.BytesIO(sys.stdin.buffer.read())).convert("RGB")
px = list(im.getdata())
colors = json.loads(sys.argv[1])
near = [sum(1 for p in px if all(abs(p[i] - c[i]) < 24 for i in range(3))) for c in colors]
dark = sum(1 for p in px if sum(p) < 150)
print(json.dumps({"size": im.size, "near": near, "dark": dark}))
`;
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", code, JSON.stringify(colors)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(png);
  await w.close();
  const out = await child.output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    size: [number, number];
    near: number[];
    dark: number;
  };
}

const history = [1, 2, 3, 4].map((e) => ({
  epoch: e,
  trainLoss: 2 / e,
  valLoss: 2.5 / e,
  trainAcc: 1 - 0.5 / e,
  valAcc: 1 - 0.6 / e,
}));

Deno.test("curvesSpec has one train and one val row per epoch", () => {
  const spec = curvesSpec(history) as { data: { values: Record<string, unknown>[] } };
  assert.equal(spec.data.values.length, 8);
  assert.deepEqual(spec.data.values[1], { epoch: 1, split: "val", loss: 2.5, accuracy: 0.4 });
});

Deno.test("renderCurves draws a PNG with both series colours and text (Pillow decodes it)", async () => {
  const png = await renderCurves(history);
  assert.deepEqual(Array.from(png.subarray(0, 8)), [137, 80, 78, 71, 13, 10, 26, 10]);
  // vega's default category colours: train blue #4c78a8, val orange #f58518
  const s = await pillowStats(png, [[0x4c, 0x78, 0xa8], [0xf5, 0x85, 0x18]]);
  assert.ok(s.size[0] > 600 && s.size[1] > 300, `size ${s.size}`);
  assert.ok(s.near[0] > 200 && s.near[1] > 200, `line pixels ${s.near}`);
  // titles, axis labels and tick numbers are dark glyph pixels: without a font there are none
  assert.ok(s.dark > 2000, `dark (text) pixels ${s.dark}`);
});

Deno.test("renderConfusion colours the diagonal dark and prints counts", async () => {
  const labels = ["a", "b", "c"];
  const confusion = [[30, 0, 0], [0, 30, 0], [0, 0, 30]];
  const spec = confusionSpec(confusion, labels) as { data: { values: { rate: number }[] } };
  assert.deepEqual(spec.data.values.map((c) => c.rate), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const png = await renderConfusion(confusion, labels);
  // rate 1 maps to the dark end of the colour range (#08306b): the 3 diagonal cells
  const s = await pillowStats(png, [[0x08, 0x30, 0x6b]]);
  assert.ok(s.near[0] > 3 * 2000, `diagonal pixels ${s.near[0]}`);
});
