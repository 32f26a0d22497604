/**
 * `deno task setup:gpu [--yes]`: installs @tensorflow/tfjs-node-gpu (native TensorFlow with
 * CUDA) under Deno and says plainly what the machine lacks for it.
 *
 * Without --yes it changes nothing: it prints the install steps, then the checks. With --yes it
 * runs the steps (`deno install --allow-scripts=...` adds the package to deno.json and runs
 * its install script, which downloads libtensorflow 2.9.1 and the prebuilt addon), and when the
 * install script fails it removes the half-installed package again so deno.json stays clean.
 *
 * Checks: the addon and libtensorflow in node_modules, the CUDA 11.2 / cuDNN 8 libraries
 * (ldconfig -p and LD_LIBRARY_PATH; see train/cuda_libs.ts), and nvidia-smi's driver line.
 *
 * Exit status: 0 after printing the steps (no --yes), or when --yes left a working install;
 * 1 when --yes could not install or the GPU libraries are missing; 2 for a bad flag.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { formatCudaLibReport } from "../train/cuda_libs.ts";
import { probeCudaLibs } from "../train/probe_cuda_libs.ts";

const PKG = "@tensorflow/tfjs-node-gpu";
const VERSION = "4.22.0";
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const INSTALL_ARGS = ["install", `--allow-scripts=npm:${PKG}`, `npm:${PKG}@${VERSION}`];
const REMOVE_ARGS = ["remove", PKG];

const USAGE = `usage: deno task setup:gpu [--yes]

  --yes    run the install (edits deno.json "imports" and node_modules/)
  --help   this text

Without --yes nothing is changed: the steps are printed and the machine is checked.`;

/** What --yes runs, as a person would type it. */
function steps(): string {
  return [
    `Steps to install ${PKG}@${VERSION} (native TensorFlow 2.9.1 with CUDA 11.2 + cuDNN 8):`,
    `  1. deno ${INSTALL_ARGS.join(" ")}`,
    `     adds "${PKG}" to deno.json "imports" (with "nodeModulesDir": "auto")`,
    "     and runs the package's install script, which downloads libtensorflow and the",
    "     prebuilt addon from outside the npm registry (TFJS_NODE_CDN_STORAGE: a mirror).",
    "  2. the CUDA 11.2 / cuDNN 8 libraries below must be on the loader path (ldconfig or",
    "     LD_LIBRARY_PATH), and the NVIDIA driver must support CUDA >= 11.2.",
    "  3. deno task train --backend tensorflow   (the log says whether the GPU libraries load)",
    "Undo: deno " + REMOVE_ARGS.join(" "),
  ].join("\n");
}

async function run(args: string[]): Promise<{ ok: boolean; text: string }> {
  try {
    const out = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stdin: "null" })
      .output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return { ok: out.success, text };
  } catch (err) {
    return { ok: false, text: err instanceof Error ? err.message : String(err) };
  }
}

/** The lines of a failed `deno install` that say why, without the progress noise. */
function installFailure(text: string): string {
  // deno colours its output; the lines are read by people in a log
  // deno-lint-ignore no-control-regex
  const plain = text.replace(/\x1b\[[0-9;]*m/g, "");
  const lines = plain.split("\n").filter((l) =>
    /error|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|Downloading|failed/i.test(l) &&
    !/^\s+at |^\s*Initialize /.test(l)
  );
  return lines.slice(0, 8).map((l) => `    ${l.trim()}`).join("\n");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether the package, its addon and libtensorflow are in node_modules/. */
async function installState(): Promise<{ pkg: boolean; addon: string | null; lib: boolean }> {
  const dir = `${ROOT}node_modules/${PKG}`;
  const pkg = await exists(`${dir}/package.json`);
  let addon: string | null = null;
  try {
    for await (const e of Deno.readDir(`${dir}/lib`)) {
      if (e.isDirectory && await exists(`${dir}/lib/${e.name}/tfjs_binding.node`)) {
        addon = `lib/${e.name}/tfjs_binding.node`;
      }
    }
  } catch {
    // no lib/: the install script never built or downloaded the addon
  }
  return { pkg, addon, lib: await exists(`${dir}/deps/lib/libtensorflow.so.2`) };
}

/**
 * Deletes what a failed install left in node_modules/: the link (`deno remove` keeps it, and
 * backend "auto" would keep trying it) and the package folder with its `.scripts-run` marker
 * (with it, the next `deno install` would skip the install script).
 */
async function removeHalfInstall(): Promise<void> {
  await Deno.remove(`${ROOT}node_modules/${PKG}`).catch(() => {});
  const folder = `${ROOT}node_modules/.deno/${PKG.replace("/", "+")}@${VERSION}`;
  await Deno.remove(folder, { recursive: true }).catch(() => {});
}

/** nvidia-smi's GPU, driver and CUDA version lines, or why there are none. */
async function nvidiaSmi(): Promise<string> {
  try {
    const q = await new Deno.Command("nvidia-smi", {
      args: ["--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!q.success) {
      return `nvidia-smi failed: ${new TextDecoder().decode(q.stderr).trim().split("\n")[0]}`;
    }
    const gpus = new TextDecoder().decode(q.stdout).trim().split("\n").map((l) => `  GPU: ${l}`);
    const head = await new Deno.Command("nvidia-smi", { stdout: "piped", stderr: "null" })
      .output();
    const cuda = /CUDA Version:\s*([\d.]+)/.exec(new TextDecoder().decode(head.stdout));
    return [
      "nvidia-smi:",
      ...gpus,
      `  the driver supports CUDA up to ${cuda ? cuda[1] : "(unknown)"}; tfjs-node-gpu needs 11.2+`,
    ].join("\n");
  } catch {
    return "nvidia-smi: not found (no NVIDIA driver on this machine, or not on PATH)";
  }
}

async function main(args: string[]): Promise<number> {
  for (const a of args) {
    if (a === "--help" || a === "-h") {
      console.log(USAGE);
      return 0;
    }
    if (a !== "--yes") {
      console.error(`setup:gpu: unknown flag "${a}"\n${USAGE}`);
      return 2;
    }
  }
  const yes = args.includes("--yes");
  console.log(steps());
  console.log("");
  let installed = true;
  if (yes) {
    const before = await installState();
    // deno marks a package's scripts as run even when they failed, and would not retry them
    if (before.pkg && (before.addon === null || !before.lib)) await removeHalfInstall();
    console.log(`running: deno ${INSTALL_ARGS.join(" ")}`);
    const r = await run(INSTALL_ARGS);
    if (r.ok) {
      console.log(`installed ${PKG}@${VERSION}`);
    } else {
      installed = false;
      console.log(`install FAILED; deno install said:\n${installFailure(r.text)}`);
      const undo = await run(REMOVE_ARGS);
      await removeHalfInstall();
      console.log(
        undo.ok
          ? `removed the half-installed ${PKG} again (deno ${REMOVE_ARGS.join(" ")})`
          : `could not remove it; run: deno ${REMOVE_ARGS.join(" ")}`,
      );
    }
  } else {
    console.log("(dry run: pass --yes to run step 1)");
  }
  const state = await installState();
  console.log(
    `node_modules: ${PKG} ${state.pkg ? "present" : "not installed"}` +
      (state.pkg
        ? `, addon ${state.addon ?? "MISSING"}, libtensorflow.so.2 ${
          state.lib ? "present" : "MISSING"
        }`
        : ""),
  );
  if (state.pkg && (state.addon === null || !state.lib)) {
    installed = false;
    console.log(
      "  the install script did not finish: the package cannot load (backend 'tensorflow' " +
        "will be skipped)",
    );
  }
  console.log("");
  const report = await probeCudaLibs();
  console.log(formatCudaLibReport(report));
  console.log("");
  console.log(await nvidiaSmi());
  if (!yes) return 0;
  const ready = installed && report.missing.length === 0;
  console.log(
    ready
      ? "\nready: deno task train --backend tensorflow"
      : "\nnot ready for the GPU: see the lines marked FAILED / MISSING above",
  );
  return ready ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
