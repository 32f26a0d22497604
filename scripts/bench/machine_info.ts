/**
 * What the numbers were measured on: cores, CPU model, load, tool versions and the date.
 * @module
 */

/** The machine and tools a bench run used. */
export interface MachineInfo {
  date: string;
  cores: number;
  cpuModel: string;
  /** 1-minute load average when the run started (the machine is shared: a noise indicator). */
  loadavg1: number | null;
  memTotalGiB: number | null;
  deno: string;
  v8: string;
  node: string | null;
  python: string | null;
  wrk: string | null;
}

async function firstLine(cmd: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(out.stdout) || new TextDecoder().decode(out.stderr);
    return text.trim().split("\n")[0] || null;
  } catch {
    return null;
  }
}

function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** The 1-minute load average, or null where /proc is missing. */
export function loadAverage(): number | null {
  const first = readText("/proc/loadavg").split(" ")[0];
  return first ? Number(first) : null;
}

/** Collects machine and tool facts (Linux /proc where present; null where unknown). */
export async function machineInfo(python: string): Promise<MachineInfo> {
  const cpuModel = /model name\s*:\s*(.+)/.exec(readText("/proc/cpuinfo"))?.[1]?.trim() ??
    "unknown";
  const memKb = /MemTotal:\s*(\d+)/.exec(readText("/proc/meminfo"))?.[1];
  return {
    date: new Date().toISOString(),
    cores: navigator.hardwareConcurrency ?? 1,
    cpuModel,
    loadavg1: loadAverage(),
    memTotalGiB: memKb ? Math.round(Number(memKb) / 1024 / 1024 * 10) / 10 : null,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    node: await firstLine("node", ["--version"]),
    python: await firstLine(python, [
      "-c",
      "import sys, torch, torchvision, PIL; print(sys.version.split()[0], 'torch', " +
      "torch.__version__, 'torchvision', torchvision.__version__, 'Pillow', PIL.__version__)",
    ]),
    wrk: await firstLine("wrk", ["-v"]),
  };
}
