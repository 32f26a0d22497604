/**
 * `deno task deploy`: prints (and with --run, runs) the Deno Deploy command for the edge server.
 *
 *   deno task deploy --project NAME --model-url https://.../model.onnx --sha256 HEX
 *   deno task deploy --project NAME --model-url https://.../model.onnx --model runs/x/model.onnx
 *   deno task deploy --project NAME --model models/model.onnx          (bundled with the app)
 *   options: [--tool deno|deployctl] [--run] [--cors https://a.example,...]
 *
 * The model comes from MODEL_URL (fetched once at cold start over https and checked against
 * MODEL_SHA256; with --model the sha256 is computed from the local copy), or is uploaded with the
 * code and read from MODEL_PATH. The engine is pinned to `web` (onnxruntime-web WASM): Deploy
 * loads no native addons. API_KEY is never put on the command line: set it as a secret in the
 * Deploy dashboard. `--tool deployctl` targets Deploy Classic (deprecated).
 * @module
 */
import { parseArgs } from "node:util";

/** What `deployPlan` needs. */
export interface DeployOptions {
  /** Deno Deploy app (or Classic project) name. */
  project: string;
  /** `deno`: `deno deploy` (Deno Deploy); `deployctl`: Deploy Classic (deprecated). */
  tool: "deployctl" | "deno";
  /** https URL of the model, with its sha256; or a local path bundled with the app. */
  model: { url: string; sha256: string } | { path: string };
  corsOrigins?: string;
}

/** The environment the deployed app needs, and the commands that deploy it (argv each). */
export interface DeployPlan {
  env: Record<string, string>;
  /** One-time setup steps, printed for the operator (not run). */
  setup: string[][];
  /** The deploy command itself (run with --run). */
  deploy: string[];
}

/** Builds the plan; throws a TypeError naming the option at fault. */
export function deployPlan(o: DeployOptions): DeployPlan {
  if (!/^[a-z0-9][a-z0-9-]{1,61}$/.test(o.project)) {
    throw new TypeError(`--project: '${o.project}' is not a Deno Deploy app name`);
  }
  // Deploy loads no native addons, and a single WASM thread avoids depending on Workers there.
  const env: Record<string, string> = { EDGE_ENGINE: "web", EDGE_THREADS: "1" };
  const include = ["edge/", "shared/", "deno.json", "deno.lock"];
  if ("url" in o.model) {
    if (new URL(o.model.url).protocol !== "https:") {
      throw new TypeError("--model-url: must be https");
    }
    if (!/^[0-9a-f]{64}$/i.test(o.model.sha256)) throw new TypeError("--sha256: 64 hex digits");
    env.MODEL_URL = o.model.url;
    env.MODEL_SHA256 = o.model.sha256.toLowerCase();
  } else {
    if (o.model.path.startsWith("/") || o.model.path.includes("..")) {
      throw new TypeError("--model: give a path inside the project, so it is uploaded with it");
    }
    env.MODEL_PATH = o.model.path;
    include.push(o.model.path);
  }
  if (o.corsOrigins) env.CORS_ORIGINS = o.corsOrigins;
  if (o.tool === "deployctl") {
    return {
      env,
      setup: [],
      deploy: [
        "deployctl",
        "deploy",
        `--project=${o.project}`,
        "--entrypoint=edge/main.ts",
        ...include.map((p) => `--include=${p}`),
        ...Object.entries(env).map(([k, v]) => `--env=${k}=${v}`),
        "--prod",
      ],
    };
  }
  return {
    env,
    setup: [["deno", "deploy", "create", "--app", o.project, "--entrypoint", "edge/main.ts"]],
    deploy: ["deno", "deploy", "--app", o.project, "--prod"],
  };
}

async function sha256File(path: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      project: { type: "string" },
      "model-url": { type: "string" },
      sha256: { type: "string" },
      model: { type: "string" },
      tool: { type: "string", default: "deno" },
      cors: { type: "string" },
      run: { type: "boolean" },
    },
  });
  if (!values.project) throw new TypeError("--project NAME is required");
  if (values.tool !== "deployctl" && values.tool !== "deno") {
    throw new TypeError("--tool must be deployctl or deno");
  }
  let model: DeployOptions["model"];
  if (values["model-url"]) {
    const sha256 = values.sha256 ?? (values.model ? await sha256File(values.model) : undefined);
    if (!sha256) throw new TypeError("--model-url needs --sha256, or --model to compute it from");
    model = { url: values["model-url"], sha256 };
  } else if (values.model) {
    await Deno.stat(values.model);
    model = { path: values.model };
  } else {
    throw new TypeError("give --model-url (with --sha256 or --model) or --model");
  }
  const plan = deployPlan({
    project: values.project,
    tool: values.tool,
    model,
    corsOrigins: values.cors,
  });
  const line = (argv: string[]) => argv.map(quote).join(" ");
  if (plan.setup.length > 0) {
    console.log("# once: create the app (check `deno deploy create --help` for your version)");
    for (const step of plan.setup) console.log(line(step));
    console.log("# set these environment variables on the app (dashboard, or `deno deploy env`):");
    for (const [k, v] of Object.entries(plan.env)) console.log(`#   ${k}=${v}`);
    console.log("#   API_KEY=<secret>   (as a secret; without it the API is open)");
  }
  console.log(line(plan.deploy));
  if (!values.run) return 0;
  const status = await new Deno.Command(plan.deploy[0], { args: plan.deploy.slice(1) }).spawn()
    .status;
  return status.code;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`deploy: ${(e as Error).message}`);
    Deno.exit(2);
  }
}
