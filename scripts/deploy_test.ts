import assert from "node:assert/strict";
import { deployPlan } from "./deploy.ts";

const SHA = "ab".repeat(32);

Deno.test("deployPlan pins the web engine and passes the model by URL + sha256 or by path", () => {
  const byUrl = deployPlan({
    project: "edgeclass-demo",
    tool: "deno",
    model: { url: "https://models.example.com/w.onnx", sha256: SHA.toUpperCase() },
  });
  assert.deepEqual(byUrl.env, {
    EDGE_ENGINE: "web",
    EDGE_THREADS: "1",
    MODEL_URL: "https://models.example.com/w.onnx",
    MODEL_SHA256: SHA,
  });
  assert.deepEqual(byUrl.deploy, ["deno", "deploy", "--app", "edgeclass-demo", "--prod"]);

  const classic = deployPlan({
    project: "edgeclass-demo",
    tool: "deployctl",
    model: { path: "models/w.onnx" },
    corsOrigins: "https://a.example",
  });
  assert.deepEqual(classic.deploy, [
    "deployctl",
    "deploy",
    "--project=edgeclass-demo",
    "--entrypoint=edge/main.ts",
    "--include=edge/",
    "--include=shared/",
    "--include=deno.json",
    "--include=deno.lock",
    "--include=models/w.onnx",
    "--env=EDGE_ENGINE=web",
    "--env=EDGE_THREADS=1",
    "--env=MODEL_PATH=models/w.onnx",
    "--env=CORS_ORIGINS=https://a.example",
    "--prod",
  ]);
});

Deno.test("deployPlan refuses what would deploy an unverified or missing model", () => {
  const table: [Parameters<typeof deployPlan>[0], RegExp][] = [
    [{ project: "x y", tool: "deno", model: { path: "m.onnx" } }, /--project/],
    [{ project: "demo", tool: "deno", model: { url: "http://a/m.onnx", sha256: SHA } }, /https/],
    [
      { project: "demo", tool: "deno", model: { url: "https://a/m.onnx", sha256: "12" } },
      /--sha256/,
    ],
    [{ project: "demo", tool: "deno", model: { path: "/abs/m.onnx" } }, /inside the project/],
    [{ project: "demo", tool: "deno", model: { path: "../m.onnx" } }, /inside the project/],
  ];
  for (const [opts, message] of table) assert.throws(() => deployPlan(opts), message);
});
