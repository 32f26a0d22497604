/**
 * Gathers what `checkCudaLibs` needs from this machine: `ldconfig -p` and the files in the
 * LD_LIBRARY_PATH folders. Never throws: a missing ldconfig or an unreadable folder just
 * contributes nothing.
 *
 * @module
 */
import { checkCudaLibs, type CudaLib, type CudaLibReport } from "./cuda_libs.ts";

/** Runs ldconfig -p (from /sbin first: it is often not on a user's PATH). */
export async function readLdconfig(): Promise<string> {
  for (const cmd of ["/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"]) {
    try {
      const out = await new Deno.Command(cmd, { args: ["-p"], stdout: "piped", stderr: "null" })
        .output();
      if (out.success) return new TextDecoder().decode(out.stdout);
    } catch {
      // not there (or not allowed): try the next one
    }
  }
  return "";
}

/** Paths of the files in each LD_LIBRARY_PATH folder, in search order. */
export async function listLdLibraryPath(value = ldLibraryPath()): Promise<string[]> {
  const files: string[] = [];
  for (const dir of value.split(":").filter((d) => d !== "")) {
    try {
      for await (const e of Deno.readDir(dir)) {
        if (e.isFile || e.isSymlink) files.push(`${dir.replace(/\/+$/, "")}/${e.name}`);
      }
    } catch {
      // a stale entry in LD_LIBRARY_PATH is common and harmless
    }
  }
  return files;
}

/** `checkCudaLibs` on this machine. */
export async function probeCudaLibs(libs?: readonly CudaLib[]): Promise<CudaLibReport> {
  const [ldconfig, files] = await Promise.all([readLdconfig(), listLdLibraryPath()]);
  return checkCudaLibs({ ldconfig, files, arch: Deno.build.arch, libs });
}

function ldLibraryPath(): string {
  try {
    return Deno.env.get("LD_LIBRARY_PATH") ?? "";
  } catch {
    return ""; // no --allow-env
  }
}
