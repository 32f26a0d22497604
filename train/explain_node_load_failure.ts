/**
 * Turns the error of a failed `import("@tensorflow/tfjs-node-gpu")` into advice: which CUDA
 * libraries are missing, or that the package's install script never finished. train/backend.ts
 * appends it to the "skipped tfjs-node-gpu" reason.
 *
 * @module
 */
import { type CudaLibReport, summarizeCudaLibReport } from "./cuda_libs.ts";
import { probeCudaLibs } from "./probe_cuda_libs.ts";

/** The generic advice, for failures this module does not recognise. */
export const GENERIC_NODE_LOAD_ADVICE =
  "(was it installed with --allow-scripts? does libtensorflow/CUDA load?)";

/** The addon is absent: `deno install` ran without --allow-scripts, or its script failed. */
const NO_ADDON = /tfjs_binding\.node\b.*\b(can ?not|could not) be found/i;

/** dlopen of a CUDA/cuDNN library failed, e.g. "libcudart.so.11.0: cannot open shared object". */
const CUDA_DLOPEN =
  /\blib(cuda|cudart|cublas|cublasLt|cufft|curand|cusolver|cusparse|cudnn)\b[\w.]*\.so/i;

/** dlopen of libtensorflow itself failed: the script's download never landed in deps/lib. */
const NO_LIBTENSORFLOW = /\blibtensorflow(_framework)?\.so[\w.]*: cannot open shared object/i;

/**
 * Advice for a native-backend load failure.
 * @param pkg which package failed to load
 * @param message the error's message (first line is enough)
 * @param probe looks the CUDA libraries up; only called for CUDA dlopen failures
 */
export async function explainNodeLoadFailure(
  pkg: "tfjs-node-gpu" | "tfjs-node",
  message: string,
  probe: () => Promise<CudaLibReport> = () => probeCudaLibs(),
): Promise<string> {
  if (NO_ADDON.test(message) || NO_LIBTENSORFLOW.test(message)) {
    return `(its install script did not finish: it downloads libtensorflow and the prebuilt ` +
      `addon from outside the npm registry; run \`deno task setup:gpu --yes\` on a machine ` +
      `where that download works, or set TFJS_NODE_CDN_STORAGE to a mirror)`;
  }
  if (pkg === "tfjs-node-gpu" && CUDA_DLOPEN.test(message)) {
    return `(${summarizeCudaLibReport(await probe())})`;
  }
  return GENERIC_NODE_LOAD_ADVICE;
}
