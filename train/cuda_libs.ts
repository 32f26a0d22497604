/**
 * Which of the shared libraries @tensorflow/tfjs-node-gpu needs can the dynamic loader find?
 *
 * tfjs-node-gpu 4.22 bundles libtensorflow 2.9.1, built against CUDA 11.2 and cuDNN 8.1. It
 * opens the CUDA libraries by soname at run time, so the only thing that matters is whether
 * `ldconfig -p` (the loader cache) or a folder on LD_LIBRARY_PATH holds a file of exactly that
 * soname: a CUDA 12 `libcudart.so.12` does not satisfy `libcudart.so.11.0`.
 *
 * Pure: the caller (train/probe_cuda_libs.ts) runs ldconfig and lists the folders.
 *
 * @module
 */

/** One library the native GPU backend opens, and what it is. */
export interface CudaLib {
  soname: string;
  what: string;
}

/** The NVIDIA driver's library: without it there is no GPU for any CUDA version. */
export const CUDA_DRIVER_LIB: CudaLib = { soname: "libcuda.so.1", what: "NVIDIA driver" };

/** Libraries of CUDA 11.2 / cuDNN 8 that libtensorflow 2.9.1 (tfjs-node-gpu 4.22) opens. */
export const TFJS_NODE_GPU_LIBS: readonly CudaLib[] = [
  { soname: "libcudart.so.11.0", what: "CUDA 11 runtime" },
  { soname: "libcublas.so.11", what: "cuBLAS 11" },
  { soname: "libcublasLt.so.11", what: "cuBLASLt 11" },
  { soname: "libcufft.so.10", what: "cuFFT 10 (CUDA 11)" },
  { soname: "libcurand.so.10", what: "cuRAND 10 (CUDA 11)" },
  { soname: "libcusolver.so.11", what: "cuSOLVER 11" },
  { soname: "libcusparse.so.11", what: "cuSPARSE 11" },
  { soname: "libcudnn.so.8", what: "cuDNN 8" },
];

/** One line of `ldconfig -p`: `\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1`. */
export interface LdconfigEntry {
  soname: string;
  /** The parenthesised flags, e.g. "libc6,x86-64" or "libc6" (32-bit on an x86-64 host). */
  flags: string;
  path: string;
}

/** Parses `ldconfig -p` output; header, footer and malformed lines are skipped. */
export function parseLdconfig(text: string): LdconfigEntry[] {
  const out: LdconfigEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s+(\S+)\s+\(([^)]*)\)\s+=>\s+(\S.*?)\s*$/.exec(line);
    if (m !== null) out.push({ soname: m[1], flags: m[2], path: m[3] });
  }
  return out;
}

/** The ldconfig flag that marks a library of this process's architecture. */
export function ldconfigArchFlag(arch: string): string | null {
  return arch === "x86_64" ? "x86-64" : arch === "aarch64" ? "AArch64" : null;
}

/** What `checkCudaLibs` found. */
export interface CudaLibReport {
  /** Libraries found, with the first path that provides each. */
  found: { lib: CudaLib; path: string }[];
  /** Libraries not found, with other versions of the same library that are there (if any). */
  missing: { lib: CudaLib; otherVersions: string[] }[];
}

/**
 * Looks each of `libs` up by exact soname in the ldconfig cache (entries of another
 * architecture, such as 32-bit ones, do not count) and then among `files` (paths of the files
 * in the LD_LIBRARY_PATH folders, which the loader searches first).
 *
 * @param input.ldconfig `ldconfig -p` output ("" when ldconfig is unavailable)
 * @param input.files absolute paths of files in the LD_LIBRARY_PATH folders
 * @param input.arch `Deno.build.arch`; an unknown one accepts every ldconfig entry
 * @param input.libs what to look for; defaults to the driver plus TFJS_NODE_GPU_LIBS
 */
export function checkCudaLibs(input: {
  ldconfig: string;
  files?: readonly string[];
  arch: string;
  libs?: readonly CudaLib[];
}): CudaLibReport {
  const libs = input.libs ?? [CUDA_DRIVER_LIB, ...TFJS_NODE_GPU_LIBS];
  const flag = ldconfigArchFlag(input.arch);
  const available: { soname: string; path: string }[] = [
    // LD_LIBRARY_PATH first: the loader looks there before its cache
    ...(input.files ?? []).map((path) => ({ soname: basename(path), path })),
    ...parseLdconfig(input.ldconfig)
      .filter((e) => flag === null || e.flags.split(",").map((f) => f.trim()).includes(flag))
      .map(({ soname, path }) => ({ soname, path })),
  ];
  const report: CudaLibReport = { found: [], missing: [] };
  for (const lib of libs) {
    const hit = available.find((a) => a.soname === lib.soname);
    if (hit !== undefined) {
      report.found.push({ lib, path: hit.path });
      continue;
    }
    // "libcudart.so.11.0" -> other "libcudart.so.*" sonames, to explain a version mismatch
    const stem = lib.soname.slice(0, lib.soname.indexOf(".so") + 3);
    const others = [
      ...new Set(
        available.map((a) => a.soname).filter((s) => s.startsWith(stem + ".") && s !== lib.soname),
      ),
    ].sort();
    report.missing.push({ lib, otherVersions: others });
  }
  return report;
}

/**
 * A few lines for people: what is missing (and which other versions are there instead), or
 * that everything was found. No stack traces, no paths beyond the found ones.
 */
export function formatCudaLibReport(report: CudaLibReport): string {
  const lines: string[] = [];
  if (report.missing.length === 0) {
    lines.push(`all ${report.found.length} CUDA 11.2 / cuDNN 8 libraries were found:`);
  } else {
    lines.push(
      `missing ${report.missing.length} of ${
        report.found.length + report.missing.length
      } libraries that tfjs-node-gpu (libtensorflow 2.9.1, CUDA 11.2 + cuDNN 8) needs:`,
    );
    for (const { lib, otherVersions } of report.missing) {
      lines.push(
        `  MISSING ${lib.soname} (${lib.what})` +
          (otherVersions.length > 0 ? `; found other versions: ${otherVersions.join(", ")}` : ""),
      );
    }
  }
  for (const { lib, path } of report.found) lines.push(`  found   ${lib.soname} -> ${path}`);
  return lines.join("\n");
}

/** One-line summary for the backend chooser's reason list. */
export function summarizeCudaLibReport(report: CudaLibReport): string {
  if (report.missing.length === 0) return "all CUDA 11.2 / cuDNN 8 libraries found";
  return `missing CUDA 11.2 / cuDNN 8 libraries: ${
    report.missing.map((m) =>
      m.lib.soname + (m.otherVersions.length > 0 ? ` (have ${m.otherVersions.join(", ")})` : "")
    ).join(", ")
  } (run \`deno task setup:gpu\` for details)`;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
