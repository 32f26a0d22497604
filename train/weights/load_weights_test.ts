import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { chooseBackend } from "../backend.ts";
import { buildModel } from "../models/build_model.ts";
import { assignStateDict, loadWeightsInto } from "./load_weights.ts";
import { readSafetensors, type SafeTensor, type SafetensorsFile } from "./safetensors_reader.ts";
import { timmEfficientNetName } from "./torchvision_names.ts";
import { runPython } from "./run_python.ts";

await chooseBackend("cpu", () => {});

/** Random torchvision `arch` weights (BN stats randomised) written by the Python helper. */
async function torchvisionFile(dir: string, arch: string, numClasses: number): Promise<string> {
  const path = `${dir}/${arch}_${numClasses}.safetensors`;
  await runPython([
    "scripts/make_torchvision_safetensors.py",
    "--arch",
    arch,
    "--num-classes",
    String(numClasses),
    "--out",
    path,
  ]);
  return path;
}

/** Serializes tensors (any order) as a safetensors file, for edited variants of a checkpoint. */
function encode(tensors: SafeTensor[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = {
      dtype: t.dtype,
      shape: t.shape,
      data_offsets: [offset, offset + t.bytes.length],
    };
    offset += t.bytes.length;
  }
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  let at = 8 + text.length;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}

function edited(
  file: SafetensorsFile,
  edit: (ts: SafeTensor[]) => SafeTensor[],
  name = "edited.safetensors",
) {
  return readSafetensors(encode(edit([...file.tensors.values()])), name);
}

/** Every weight of `model` by variable name, copied out. */
function snapshot(model: tf.LayersModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const layer of model.layers) {
    for (const w of layer.weights) {
      out.set(w.originalName, Float32Array.from(w.read().dataSync() as Float32Array));
    }
  }
  return out;
}

const quiet = () => {};
const dir = await Deno.makeTempDir();
const resnetPath = await torchvisionFile(dir, "resnet18", 10);
const resnetFile = readSafetensors(await Deno.readFile(resnetPath), resnetPath);
const resnet10 = buildModel({ arch: "resnet18", numClasses: 10, inputSize: 32, seed: 1 });

Deno.test({
  name: "assignStateDict loads every resnet18 tensor, transposed to tfjs layouts",
  fn() {
    const lines: string[] = [];
    const r = assignStateDict(resnet10, "resnet18", resnetFile, {
      numClasses: 10,
      log: (l) => lines.push(l),
    });
    assert.equal(r.naming, "torchvision");
    assert.equal(r.headLoaded, true);
    assert.equal(r.loadedTensors, 102); // 62 params + 40 BN running stats; fc included
    assert.equal(r.skipped.length, 20); // num_batches_tracked of the 20 BatchNorms
    assert.ok(r.skipped.every((n) => n.endsWith(".num_batches_tracked")));
    assert.match(lines.join("\n"), /loaded 102 tensors into 41 layers of resnet18/);
    // spot checks of the permutations against the raw file
    const raw = (n: string) => new Float32Array(resnetFile.tensors.get(n)!.bytes.slice().buffer);
    const w = snapshot(resnet10);
    const conv = raw("layer2.0.conv1.weight"); // [128, 64, 3, 3] -> [3, 3, 64, 128]
    assert.equal(
      w.get("layer2.0.conv1/kernel")![((2 * 3 + 1) * 64 + 5) * 128 + 7],
      conv[((7 * 64 + 5) * 3 + 2) * 3 + 1],
    );
    const fc = raw("fc.weight"); // [10, 512] -> [512, 10]
    assert.equal(w.get("fc/kernel")![300 * 10 + 4], fc[4 * 512 + 300]);
    assert.deepEqual(w.get("bn1/moving_variance"), raw("bn1.running_var"));
    assert.deepEqual(w.get("layer4.1.bn2/beta"), raw("layer4.1.bn2.bias"));
  },
});

Deno.test("assignStateDict skips the head on purpose when the class count differs", () => {
  const model = buildModel({ arch: "resnet18", numClasses: 5, inputSize: 32, seed: 2 });
  const before = snapshot(model);
  const lines: string[] = [];
  const r = assignStateDict(model, "resnet18", resnetFile, {
    numClasses: 5,
    log: (l) => lines.push(l),
  });
  assert.equal(r.headLoaded, false);
  assert.equal(r.loadedTensors, 100);
  assert.ok(r.skipped.includes("fc.weight") && r.skipped.includes("fc.bias"));
  assert.match(
    lines.join("\n"),
    /skipping head 'fc' on purpose: checkpoint has 10 classes, model has 5/,
  );
  const after = snapshot(model);
  assert.deepEqual(after.get("fc/kernel"), before.get("fc/kernel"));
  assert.notDeepEqual(after.get("conv1/kernel"), before.get("conv1/kernel"));
});

Deno.test("assignStateDict lists every missing, unexpected and misshapen tensor and writes nothing", () => {
  const model = buildModel({ arch: "resnet18", numClasses: 10, inputSize: 32, seed: 3 });
  const before = snapshot(model);
  const shrink = (t: SafeTensor): SafeTensor => ({
    ...t,
    shape: [t.shape[0] - 1],
    bytes: t.bytes.subarray(4),
  });
  const table: [string, (ts: SafeTensor[]) => SafeTensor[], RegExp[]][] = [
    ["missing", (ts) => ts.filter((t) => t.name !== "layer1.0.conv1.weight"), [
      /1 missing in checkpoint: layer1\.0\.conv1\.weight/,
    ]],
    ["unexpected", (ts) => [...ts, { ...ts[0], name: "extra.weight" }], [
      /1 unexpected in checkpoint: extra\.weight/,
    ]],
    ["shape", (ts) => ts.map((t) => (t.name === "bn1.weight" ? shrink(t) : t)), [
      /1 shape mismatches: bn1\.weight is \[63\] but 'bn1\/gamma' is \[64\]/,
    ]],
    ["all three", (ts) => [
      ...ts.filter((t) => t.name !== "fc.bias" && t.name !== "layer3.1.bn2.running_mean")
        .map((t) => (t.name === "layer1.1.bn1.bias" ? shrink(t) : t)),
      { ...ts[0], name: "module.conv1.weight" },
    ], [
      /^edited\.safetensors: cannot load into resnet18 \(torchvision names\)/,
      /2 missing in checkpoint: layer3\.1\.bn2\.running_mean, fc\.bias/,
      /1 unexpected in checkpoint: module\.conv1\.weight/,
      /1 shape mismatches: layer1\.1\.bn1\.bias/,
    ]],
  ];
  for (const [what, edit, res] of table) {
    assert.throws(
      () =>
        assignStateDict(model, "resnet18", edited(resnetFile, edit), {
          numClasses: 10,
          log: quiet,
        }),
      (e: Error) => {
        for (const re of res) assert.match(e.message, re, what);
        return true;
      },
    );
  }
  assert.throws(
    () => assignStateDict(model, "resnet18", resnetFile, { numClasses: 7, log: quiet }),
    /model head 'fc' has 10 outputs but numClasses is 7/,
  );
  assert.throws(
    () => assignStateDict(model, "simple_cnn", resnetFile, { numClasses: 10 }),
    /supported for resnet18, efficientnet_b0, not 'simple_cnn'/,
  );
  const bn = model.getLayer("layer2.1.bn1") as unknown as { epsilon: number };
  bn.epsilon = 1e-3;
  assert.throws(
    () => assignStateDict(model, "resnet18", resnetFile, { numClasses: 10, log: quiet }),
    /BatchNorm 'layer2\.1\.bn1' has epsilon 0\.001, resnet18 needs 0\.00001/,
  );
  bn.epsilon = 1e-5;
  assert.deepEqual(snapshot(model), before, "a failed load must not touch the model");
});

Deno.test("timm-named efficientnet_b0 weights load the same values as torchvision names", async () => {
  const path = await torchvisionFile(dir, "efficientnet_b0", 10);
  const tv = readSafetensors(await Deno.readFile(path), path);
  // invert the timm -> torchvision renaming over timm's name space
  const timmName = new Map<string, string>();
  const stages = [1, 2, 2, 3, 3, 4, 1];
  const mods = ["conv_stem", "bn1", "conv_head", "bn2", "classifier"];
  stages.forEach((n, s) => {
    for (let j = 0; j < n; j++) {
      for (
        const m of [
          "conv_dw",
          "conv_pw",
          "conv_pwl",
          "bn1",
          "bn2",
          "bn3",
          "se.conv_reduce",
          "se.conv_expand",
        ]
      ) {
        mods.push(`blocks.${s}.${j}.${m}`);
      }
    }
  });
  for (const m of mods) {
    for (const p of ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]) {
      const t = timmEfficientNetName(`${m}.${p}`);
      if (t !== null) timmName.set(t, `${m}.${p}`);
    }
  }
  const timm = edited(
    tv,
    (ts) => ts.map((t) => ({ ...t, name: timmName.get(t.name)! })),
    "timm.safetensors",
  );
  assert.ok(
    timm.tensors.has("blocks.0.0.se.conv_reduce.weight") && timm.tensors.has("conv_stem.weight"),
  );
  const a = buildModel({ arch: "efficientnet_b0", numClasses: 10, inputSize: 32, seed: 4 });
  const b = buildModel({ arch: "efficientnet_b0", numClasses: 10, inputSize: 32, seed: 5 });
  const ra = assignStateDict(a, "efficientnet_b0", tv, { numClasses: 10, log: quiet });
  const rb = assignStateDict(b, "efficientnet_b0", timm, { numClasses: 10, log: quiet });
  assert.equal(ra.naming, "torchvision");
  assert.equal(rb.naming, "timm");
  assert.equal(rb.loadedTensors, ra.loadedTensors);
  assert.deepEqual(snapshot(b), snapshot(a));
});

Deno.test("loadWeightsInto reads a URL through the cache, checks sha256, and refuses .pth files", async () => {
  const bytes = await Deno.readFile(resnetPath);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(bytes),
  );
  const url = `http://127.0.0.1:${server.addr.port}/resnet18.safetensors`;
  try {
    const model = buildModel({ arch: "resnet18", numClasses: 10, inputSize: 32, seed: 6 });
    const before = snapshot(model);
    await assert.rejects(
      loadWeightsInto(model, "resnet18", url, {
        numClasses: 10,
        sha256: "f".repeat(64),
        cacheDir: `${dir}/cache`,
        log: quiet,
      }),
      /sha256 is [0-9a-f]{64}, expected f{64}/,
    );
    assert.deepEqual(snapshot(model), before);
    const r = await loadWeightsInto(model, "resnet18", url, {
      numClasses: 10,
      cacheDir: `${dir}/cache`,
      log: quiet,
    });
    assert.equal(r.downloaded, true);
    assert.equal(r.loadedTensors, 102);
    assert.ok(r.path.startsWith(`${dir}/cache/`));
  } finally {
    await server.shutdown();
  }
  const pth = `${dir}/resnet18.pth`;
  await Deno.writeFile(pth, new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]));
  await assert.rejects(
    loadWeightsInto(resnet10, "resnet18", pth, { numClasses: 10, log: quiet }),
    /resnet18\.pth: this is a PyTorch \.pth checkpoint.*scripts\/pth_to_safetensors\.py/,
  );
});

Deno.test("cleanup temp dir", async () => {
  await Deno.remove(dir, { recursive: true });
});
