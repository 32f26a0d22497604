import assert from "node:assert/strict";
import { detectNaming, timmEfficientNetName, toTorchvisionNames } from "./torchvision_names.ts";
import { runPython } from "./run_python.ts";

Deno.test("timmEfficientNetName renames timm efficientnet_b0 entries to torchvision's", () => {
  const table: [string, string | null][] = [
    ["conv_stem.weight", "features.0.0.weight"],
    ["bn1.running_var", "features.0.1.running_var"],
    ["blocks.0.0.conv_dw.weight", "features.1.0.block.0.0.weight"],
    ["blocks.0.0.bn1.bias", "features.1.0.block.0.1.bias"],
    ["blocks.0.0.se.conv_reduce.weight", "features.1.0.block.1.fc1.weight"],
    ["blocks.0.0.se.conv_expand.bias", "features.1.0.block.1.fc2.bias"],
    ["blocks.0.0.conv_pw.weight", "features.1.0.block.2.0.weight"],
    ["blocks.0.0.bn2.running_mean", "features.1.0.block.2.1.running_mean"],
    ["blocks.1.0.conv_pw.weight", "features.2.0.block.0.0.weight"],
    ["blocks.1.0.bn1.weight", "features.2.0.block.0.1.weight"],
    ["blocks.3.2.conv_dw.weight", "features.4.2.block.1.0.weight"],
    ["blocks.3.2.bn2.weight", "features.4.2.block.1.1.weight"],
    ["blocks.5.3.se.conv_reduce.bias", "features.6.3.block.2.fc1.bias"],
    ["blocks.6.0.conv_pwl.weight", "features.7.0.block.3.0.weight"],
    ["blocks.6.0.bn3.num_batches_tracked", "features.7.0.block.3.1.num_batches_tracked"],
    ["conv_head.weight", "features.8.0.weight"],
    ["bn2.bias", "features.8.1.bias"],
    ["classifier.weight", "classifier.1.weight"],
    ["blocks.0.0.conv_pwl.weight", null], // DS blocks have no pwl
    ["blocks.1.0.bn3.weight", "features.2.0.block.3.1.weight"],
    ["head.fc.weight", null],
    ["nodot", null],
  ];
  for (const [timm, tv] of table) assert.equal(timmEfficientNetName(timm), tv, timm);
});

/** timm efficientnet_b0's state_dict names, from timm's layout (stage repeats 1,2,2,3,3,4,1;
 * stage 0 DepthwiseSeparableConv, the rest InvertedResidual; timm/models/_efficientnet_blocks.py). */
function timmEfficientNetB0Names(): string[] {
  const bn = (m: string) =>
    ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"].map((p) =>
      `${m}.${p}`
    );
  const se = (b: string) =>
    ["conv_reduce", "conv_expand"].flatMap((c) => [`${b}.se.${c}.weight`, `${b}.se.${c}.bias`]);
  const names = [
    "conv_stem.weight",
    ...bn("bn1"),
    "conv_head.weight",
    ...bn("bn2"),
    "classifier.weight",
    "classifier.bias",
  ];
  [1, 2, 2, 3, 3, 4, 1].forEach((repeats, s) => {
    for (let j = 0; j < repeats; j++) {
      const b = `blocks.${s}.${j}`;
      if (s === 0) {
        names.push(
          `${b}.conv_dw.weight`,
          ...bn(`${b}.bn1`),
          ...se(b),
          `${b}.conv_pw.weight`,
          ...bn(`${b}.bn2`),
        );
      } else {
        names.push(
          `${b}.conv_pw.weight`,
          ...bn(`${b}.bn1`),
          `${b}.conv_dw.weight`,
          ...bn(`${b}.bn2`),
          ...se(b),
        );
        names.push(`${b}.conv_pwl.weight`, ...bn(`${b}.bn3`));
      }
    }
  });
  return names;
}

Deno.test("timm efficientnet_b0 names map one-to-one onto torchvision's state_dict", async () => {
  const tvNames = JSON.parse(
    await runPython([
      "-c",
      "import json, torchvision; print(json.dumps(list(torchvision.models.efficientnet_b0().state_dict())))",
    ]),
  ) as string[];
  const timm = timmEfficientNetB0Names();
  assert.equal(detectNaming("efficientnet_b0", timm), "timm");
  assert.equal(detectNaming("efficientnet_b0", tvNames), "torchvision");
  const { byTorchName, unmapped } = toTorchvisionNames("efficientnet_b0", timm, "timm");
  assert.deepEqual(unmapped, []);
  assert.equal(byTorchName.size, timm.length, "two timm names collide on one torchvision name");
  assert.deepEqual([...byTorchName.keys()].sort(), [...tvNames].sort());
});

Deno.test("resnet18 uses torchvision names in both conventions", () => {
  assert.equal(detectNaming("resnet18", ["conv1.weight", "fc.bias"]), "torchvision");
  const { byTorchName } = toTorchvisionNames("resnet18", [
    "conv1.weight",
    "layer1.0.downsample.0.weight",
  ], "timm");
  assert.deepEqual([...byTorchName.keys()], ["conv1.weight", "layer1.0.downsample.0.weight"]);
});
