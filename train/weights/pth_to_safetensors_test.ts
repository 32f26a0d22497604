import assert from "node:assert/strict";
import { readSafetensors, tensorToFloat32 } from "./safetensors_reader.ts";
import { runPython } from "./run_python.ts";

// A small state_dict saved the ways checkpoints come: plain, wrapped in {"state_dict": ...}
// with DataParallel's "module." prefix; plus a .pth that is not a state_dict at all.
const PY_SAVE = `
import json, sys, torch
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 2))
m[1].running_mean.normal_()
sd = m.state_dict()
d = sys.argv[1]
torch.save(sd, f"{d}/plain.pth")
torch.save({"epoch": 3, "state_dict": {"module." + k: v for k, v in sd.items()}}, f"{d}/wrapped.pth")
torch.save([1, 2, 3], f"{d}/list.pth")
bits = lambda t: t.float().contiguous().view(torch.int32).flatten().tolist()
print(json.dumps({k: {"shape": list(v.shape), "bits": bits(v) if v.is_floating_point() else v.flatten().tolist(),
                      "bf16": bits(v.bfloat16()) if v.is_floating_point() else None} for k, v in sd.items()}))
`;

interface Ref {
  shape: number[];
  bits: number[];
  bf16: number[] | null;
}

const asF32 = (bits: number[]) => new Float32Array(Int32Array.from(bits).buffer);

Deno.test("pth_to_safetensors.py converts plain and wrapped .pth state_dicts exactly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ref = JSON.parse(await runPython(["-", dir], PY_SAVE)) as Record<string, Ref>;
    for (const src of ["plain", "wrapped"]) {
      const out = `${dir}/${src}.safetensors`;
      const said = await runPython(["scripts/pth_to_safetensors.py", `${dir}/${src}.pth`, out]);
      assert.match(said, /: 9 tensors, 419 values/);
      const file = readSafetensors(await Deno.readFile(out), out);
      assert.deepEqual([...file.tensors.keys()].sort(), Object.keys(ref).sort(), src);
      assert.equal(file.metadata.format, "pt");
      for (const [name, r] of Object.entries(ref)) {
        const t = file.tensors.get(name)!;
        assert.deepEqual(t.shape, r.shape, name);
        if (r.bf16 === null) {
          assert.equal(t.dtype, "I64", name); // num_batches_tracked
          continue;
        }
        assert.equal(t.dtype, "F32", name);
        assert.deepEqual(tensorToFloat32(t, out), asF32(r.bits), name);
      }
    }
    const bf = `${dir}/bf16.safetensors`;
    await runPython(["scripts/pth_to_safetensors.py", `${dir}/plain.pth`, bf, "--dtype", "BF16"]);
    const file = readSafetensors(await Deno.readFile(bf), bf);
    assert.equal(file.tensors.get("3.weight")!.dtype, "BF16");
    assert.deepEqual(
      tensorToFloat32(file.tensors.get("3.weight")!, bf),
      asF32(ref["3.weight"].bf16!),
    );
    await assert.rejects(
      runPython(["scripts/pth_to_safetensors.py", `${dir}/list.pth`, `${dir}/x.safetensors`]),
      /list\.pth: cannot load: .*not a state_dict/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
