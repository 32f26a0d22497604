import * as tf from "@tensorflow/tfjs";
import { setWasmPaths, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
const dir = new URL("../../work/main/node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url);
console.log(dir.href);
setWasmPaths(Deno.args[0] === "fs" ? Deno.realPathSync("/work/main/node_modules/@tensorflow/tfjs-backend-wasm/dist") + "/" : dir.href, Deno.args[1] === "fetch");
console.log("simd", await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"), "mt", await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"));
const ok = await tf.setBackend("wasm");
console.log("ok", ok, tf.getBackend());
tf.tensor([1,2,3]).add(1).print();
