/**
 * A tiled Conv2DBackpropFilter for tfjs's webgpu backend (NHWC, float32).
 *
 *   dW[kh, kw, ci, co] = sum over n, oh, ow of x[n, oh*sh + kh - pt, ow*sw + kw - pl, ci]
 *                                              * dy[n, oh, ow, co]
 *
 * tfjs 4.22's own shader gives each thread one dW element and loops over all of n, oh, ow with
 * uncoalesced reads: 166 ms of a 187 ms SimpleCNN step on an H200. This one is a matrix
 * product dW[R, Co] = X^T[R, M] dy[M, Co] with R = KH*KW*Ci and M = N*OH*OW, X the implicit
 * im2col of x (gathered while loading, never stored): 64x64 output tiles per workgroup, 16
 * reduction rows per shared-memory step, 4x4 outputs per thread from one vec4 of each tile. The reduction over M is split
 * into `splits` chunks run by separate workgroups (a few dW tiles but a huge M is the normal
 * case for filter gradients), each writing a partial sum to [R*Co, splits]; the backend's own
 * Sum kernel then adds the partials.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { WebgpuBackendInternals } from "./write_buffer_uploads.ts";

/** Output tile rows (R = KH*KW*Ci), columns (Co) and reduction step (M) of one workgroup. */
const TILE_R = 64;
const TILE_C = 64;
const TILE_K = 16;
/** 16x16 threads, each computing 4x4 outputs of the 64x64 tile. */
const THREADS = 256;
const PER_THREAD = 4;

/** How the reduction over M = N*OH*OW is split across workgroups. */
export interface SplitPlan {
  /** Number of partial sums (workgroups along z). */
  splits: number;
  /** Reduction rows per split, a multiple of TILE_K (the last split may have fewer). */
  chunk: number;
}

/** Knobs of `planSplits`; tests force small values to cover the multi-split path. */
export interface SplitOptions {
  /** Aim for about this many workgroups in all (enough to fill a large GPU). */
  targetWorkgroups: number;
  /** Fewest reduction rows a split gets, so each workgroup amortizes its tile writes. */
  minChunk: number;
}

export const DEFAULT_SPLIT_OPTIONS: SplitOptions = { targetWorkgroups: 2048, minChunk: 512 };

/** Splits the reduction over `m` rows for `tiles` output tiles (pure; no GPU). */
export function planSplits(
  m: number,
  tiles: number,
  opts: SplitOptions = DEFAULT_SPLIT_OPTIONS,
): SplitPlan {
  if (!(m > 0 && tiles > 0)) throw new RangeError(`planSplits: m ${m}, tiles ${tiles}`);
  const wanted = Math.ceil(opts.targetWorkgroups / tiles);
  const most = Math.max(1, Math.floor(m / opts.minChunk));
  const splits = Math.min(wanted, most, 65535);
  const chunk = Math.ceil(Math.ceil(m / splits) / TILE_K) * TILE_K;
  return { splits: Math.ceil(m / chunk), chunk };
}

/** The WGSL of the tiled partial-sum pass; `result` is [R*Co, splits]. */
function tiledShader(): string {
  const quad = [0, 1, 2, 3];
  const vecR = TILE_R / 4; // vec4s per tile row
  const loadRows = THREADS / TILE_R; // tile rows filled at once by all threads
  const loads = Array.from({ length: TILE_K / loadRows }, (_, i) => i); // per thread per step
  const loadCode = loads.map((i) => `
      {
        var xv = 0.0;
        var dv = 0.0;
        if (m${i} < mEnd) {
          let ih = oh${i} * uniforms.strides.x + khLoad - uniforms.pads.x;
          let iw = ow${i} * uniforms.strides.y + kwLoad - uniforms.pads.y;
          if (rOk && ih >= 0 && ih < inH && iw >= 0 && iw < inW) {
            xv = x[((n${i} * inH + ih) * inW + iw) * inC + ciLoad];
          }
          if (coOk) {
            dv = dy[m${i} * outC + coLoad];
          }
        }
        let slot = (lk + ${i * loadRows}) * ${vecR} + lc / 4;
        tileX[slot][lc % 4] = xv;
        tileDy[slot][lc % 4] = dv;
        // on to the row ${TILE_K} further: add the step's (n, oh, ow) with carries
        m${i} += ${TILE_K};
        ow${i} += uniforms.mStep.z;
        var carry = select(0, 1, ow${i} >= outW);
        ow${i} -= carry * outW;
        oh${i} += uniforms.mStep.y + carry;
        carry = select(0, 1, oh${i} >= outH);
        oh${i} -= carry * outH;
        n${i} += uniforms.mStep.x + carry;
      }`).join("");
  return `
  // [TILE_K][TILE_R] and [TILE_K][TILE_C] as vec4s: one shared load gives a thread its 4 values
  var<workgroup> tileX : array<vec4<f32>, ${TILE_K * vecR}>;
  var<workgroup> tileDy : array<vec4<f32>, ${TILE_K * TILE_C / 4}>;

  fn main() {
    let tid = i32(localIndex);
    let inH = uniforms.xShape.y;
    let inW = uniforms.xShape.z;
    let inC = uniforms.xShape.w;
    let outH = uniforms.dyShape.y;
    let outW = uniforms.dyShape.z;
    let outC = uniforms.dyShape.w;
    let fW = uniforms.filterHW.y;
    let rows = uniforms.filterHW.x * fW * inC;
    let mAll = uniforms.dyShape.x * outH * outW;
    let splits = uniforms.outShape.y;
    let split = i32(workgroupId.z);
    let mBegin = split * uniforms.chunk;
    let mEnd = min(mBegin + uniforms.chunk, mAll);
    let r0 = i32(workgroupId.y) * ${TILE_R};
    let c0 = i32(workgroupId.x) * ${TILE_C};

    // Loading: this thread fills column lc of both tiles in rows lk, lk + ${loadRows}, ...; its
    // dW row (kh, kw, ci) and dy column stay fixed, so they are decoded once, and the (n, oh,
    // ow) of its reduction rows are decoded once and then stepped without divisions.
    let lc = tid % ${TILE_R};
    let lk = tid / ${TILE_R};
    let rLoad = r0 + lc;
    let ciLoad = rLoad % inC;
    let khw = rLoad / inC;
    let kwLoad = khw % fW;
    let khLoad = khw / fW;
    let rOk = rLoad < rows;
    let coLoad = c0 + lc;
    let coOk = coLoad < outC;
    ${
    loads.map((i) => `
    var m${i} = mBegin + lk + ${i * loadRows};
    var ow${i} = m${i} % outW;
    var oh${i} = (m${i} / outW) % outH;
    var n${i} = m${i} / (outW * outH);`).join("")
  }

    // Computing: rows tr*4 .. tr*4+3 and columns tc*4 .. tc*4+3 of the tile.
    let tr = tid / ${TILE_C / PER_THREAD};
    let tc = tid % ${TILE_C / PER_THREAD};
    ${quad.map((i) => `var acc${i} = vec4<f32>(0.0);`).join("\n    ")}

    // The trip count comes from uniforms only, so the barriers stay in uniform control flow.
    for (var t = 0; t < uniforms.chunk / ${TILE_K}; t++) {${loadCode}
      workgroupBarrier();
      for (var k = 0; k < ${TILE_K}; k++) {
        let a = tileX[k * ${vecR} + tr];
        let d = tileDy[k * ${TILE_C / 4} + tc];
        ${quad.map((i) => `acc${i} += a[${i}] * d;`).join("\n        ")}
      }
      workgroupBarrier();
    }

    let cBase = c0 + tc * ${PER_THREAD};
    ${
    quad.map((i) => `
    {
      let r = r0 + tr * ${PER_THREAD} + ${i};
      if (r < rows) {
        for (var j = 0; j < ${PER_THREAD}; j++) {
          if (cBase + j < outC) {
            result[(r * outC + cBase + j) * splits + split] = acc${i}[j];
          }
        }
      }
    }`).join("")
  }
  }
  `;
}

/** (n, oh, ow) of `TILE_K` reduction rows, for stepping a row index without divisions. */
export function rowStep(outH: number, outW: number): [number, number, number] {
  const plane = outH * outW;
  const rest = TILE_K % plane;
  return [Math.floor(TILE_K / plane), Math.floor(rest / outW), rest % outW];
}

/** A tfjs WebGPUProgram (the shape `backend.runWebGPUProgram` expects). */
class Conv2DDerFilterTiledProgram {
  readonly variableNames = ["x", "dy"];
  readonly uniforms =
    "pads : vec2<i32>, strides : vec2<i32>, filterHW : vec2<i32>, chunk : i32, mStep : vec4<i32>,";
  readonly workgroupSize: [number, number, number] = [THREADS, 1, 1];
  readonly outputShape: number[];
  // getOutputCoords is generated from this; the shader does not use it
  readonly dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  // the pipeline cache key: geometry lives in uniforms, the tile sizes in the code
  shaderKey = `edgeclassConv2DDerFilterTiled_v2_${TILE_R}_${TILE_C}_${TILE_K}_${THREADS}`;
  readonly size = false;

  constructor(rows: number, outC: number, plan: SplitPlan) {
    this.outputShape = [rows * outC, plan.splits];
    this.dispatch = [Math.ceil(outC / TILE_C), Math.ceil(rows / TILE_R), plan.splits];
  }

  getUserCode(): string {
    return tiledShader();
  }
}

/** Kernel inputs/attrs as tfjs-core passes them to Conv2DBackpropFilter. */
interface BackpropFilterArgs {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: WebgpuBackendInternals;
  attrs: {
    strides: number | [number, number];
    pad: "same" | "valid" | number | tf.backend_util.ExplicitPadding;
    dataFormat: "NHWC" | "NCHW";
    dimRoundingMode?: "floor" | "round" | "ceil";
    filterShape: [number, number, number, number];
  };
}

/** Why the tiled kernel does not take these arguments, or null when it does. */
export function unsupportedReason(args: BackpropFilterArgs): string | null {
  const { x, dy } = args.inputs;
  if ((args.attrs.dataFormat ?? "NHWC") !== "NHWC") return "NCHW";
  if (x.dtype !== "float32" || dy.dtype !== "float32") return `dtype ${x.dtype}/${dy.dtype}`;
  if (x.shape.length !== 4 || dy.shape.length !== 4) return "rank";
  const sizes = [x.shape, dy.shape].map((s) => tf.util.sizeFromShape(s));
  if (sizes.includes(0)) return "empty tensor";
  // the shader indexes with i32
  if (sizes.some((n) => n >= 2 ** 31)) return "too large for i32 indices";
  return null;
}

/**
 * dW of a conv2d on the webgpu backend with the tiled shader; returns a [KH, KW, Ci, Co]
 * TensorInfo owned by the caller. `opts` overrides the split planning (tests).
 */
export function conv2dBackpropFilterTiled(
  args: BackpropFilterArgs,
  opts: SplitOptions = DEFAULT_SPLIT_OPTIONS,
): tf.TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  const [n, outH, outW, outC] = dy.shape;
  if (n !== info.batchSize || outH !== info.outHeight || outW !== info.outWidth) {
    throw new RangeError(
      `Conv2DBackpropFilter: dy shape [${dy.shape}] does not fit x [${x.shape}] and filter ` +
        `[${attrs.filterShape}] (expected [${info.outShape}])`,
    );
  }
  const [fH, fW, inC] = attrs.filterShape;
  const rows = fH * fW * inC;
  const tiles = Math.ceil(rows / TILE_R) * Math.ceil(outC / TILE_C);
  const plan = planSplits(n * outH * outW, tiles, opts);
  const program = new Conv2DDerFilterTiledProgram(rows, outC, plan);
  const uniforms = [
    { type: "int32", data: [info.padInfo.top, info.padInfo.left] },
    { type: "int32", data: [info.strideHeight, info.strideWidth] },
    { type: "int32", data: [fH, fW] },
    { type: "int32", data: [plan.chunk] },
    { type: "int32", data: [...rowStep(outH, outW), 0] },
  ];
  const partial = backend.runWebGPUProgram(program, [x, dy], "float32", uniforms); // [R*Co, S]
  const kernel = (name: string) => tf.getKernel(name, "webgpu").kernelFunc;
  let summed = partial;
  if (plan.splits > 1) {
    summed = kernel("Sum")({
      inputs: { x: partial },
      backend: backend as unknown as tf.KernelBackend,
      attrs: { axis: 1, keepDims: false },
    }) as tf.TensorInfo; // [R*Co]
    backend.disposeData(partial.dataId);
  }
  // Reshape shares the data and takes a reference of its own
  const out = kernel("Reshape")({
    inputs: { x: summed },
    backend: backend as unknown as tf.KernelBackend,
    attrs: { shape: attrs.filterShape },
  }) as tf.TensorInfo;
  backend.disposeData(summed.dataId);
  return out;
}

/**
 * Registers the tiled kernel as webgpu's Conv2DBackpropFilter, keeping the previous kernel
 * for what it does not cover (NCHW, other dtypes); returns a function restoring the previous
 * registration.
 */
export function registerConv2dBackpropFilterWebgpu(): () => void {
  const previous = tf.getKernel(tf.Conv2DBackpropFilter, "webgpu");
  if (previous === undefined) {
    throw new Error("no webgpu Conv2DBackpropFilter kernel is registered to fall back to");
  }
  const kernelFunc = (args: unknown) => {
    const a = args as BackpropFilterArgs;
    return unsupportedReason(a) === null
      ? conv2dBackpropFilterTiled(a)
      : previous.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
  };
  tf.unregisterKernel(tf.Conv2DBackpropFilter, "webgpu");
  tf.registerKernel({
    ...previous,
    kernelFunc: kernelFunc as tf.KernelFunc,
  });
  return () => {
    tf.unregisterKernel(tf.Conv2DBackpropFilter, "webgpu");
    tf.registerKernel(previous);
  };
}
