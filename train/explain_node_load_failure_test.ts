import assert from "node:assert/strict";
import { checkCudaLibs } from "./cuda_libs.ts";
import { explainNodeLoadFailure, GENERIC_NODE_LOAD_ADVICE } from "./explain_node_load_failure.ts";

// A machine with the driver and cuDNN 8 but CUDA 13 instead of CUDA 11.
const LDCONFIG = [
  "3 libs found in cache `/etc/ld.so.cache'",
  "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1",
  "\tlibcudart.so.13 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.13",
  "\tlibcudnn.so.8 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.8",
].join("\n");

Deno.test("explainNodeLoadFailure names missing CUDA libraries, a missing addon, or falls back", async () => {
  let probes = 0;
  const probe = () => {
    probes++;
    return Promise.resolve(checkCudaLibs({ ldconfig: LDCONFIG, arch: "x86_64" }));
  };
  const cases: {
    pkg: "tfjs-node-gpu" | "tfjs-node";
    message: string;
    want: RegExp;
    probed: boolean;
  }[] = [
    {
      pkg: "tfjs-node-gpu",
      message: "libcudart.so.11.0: cannot open shared object file: No such file or directory",
      want:
        /^\(missing CUDA 11\.2 \/ cuDNN 8 libraries: libcudart\.so\.11\.0 \(have libcudart\.so\.13\), libcublas\.so\.11, libcublasLt\.so\.11, libcufft\.so\.10, libcurand\.so\.10, libcusolver\.so\.11, libcusparse\.so\.11 \(run `deno task setup:gpu` for details\)\)$/,
      probed: true,
    },
    {
      pkg: "tfjs-node-gpu",
      message:
        "Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open",
      want: /^\(missing CUDA 11\.2.*libcudart\.so\.11\.0/,
      probed: true,
    },
    {
      pkg: "tfjs-node-gpu",
      message: "The Node.js native addon module (tfjs_binding.node) can not be found at path: " +
        "/x/node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node. ",
      want: /install script did not finish.*setup:gpu --yes/,
      probed: false,
    },
    {
      pkg: "tfjs-node",
      message: "libtensorflow.so.2: cannot open shared object file: No such file or directory",
      want: /install script did not finish/,
      probed: false,
    },
    {
      // the CPU package never needs CUDA: no probe, generic advice
      pkg: "tfjs-node",
      message: "libcudart.so.11.0: cannot open shared object file",
      want: new RegExp(`^${GENERIC_NODE_LOAD_ADVICE.replace(/[()?/]/g, "\\$&")}$`),
      probed: false,
    },
    {
      pkg: "tfjs-node-gpu",
      message: "Module did not self-register",
      want: /^\(was it installed with --allow-scripts\?/,
      probed: false,
    },
  ];
  for (const c of cases) {
    const before = probes;
    const advice = await explainNodeLoadFailure(c.pkg, c.message, probe);
    assert.match(advice, c.want, c.message);
    assert.equal(probes > before, c.probed, `${c.message}: probed`);
  }
});
