/**
 * Layout conversion of one PyTorch parameter into the layout of the tfjs variable it feeds.
 * PyTorch convs are OIHW, tfjs convs HWIO; torch depthwise convs are [C*M, 1, kh, kw]
 * (groups = C), tfjs depthwise kernels [kh, kw, C, M]; torch Linear is [out, in], tfjs Dense
 * [in, out]. Everything else (biases, BatchNorm vectors) is copied as is.
 * @module
 */

/** How the tfjs variable is used, which decides the permutation. */
export type TfjsWeightKind = "conv" | "depthwise" | "dense" | "vector";

/** The torch shape that must feed a tfjs variable of `kind` and `tfShape`. */
export function expectedTorchShape(kind: TfjsWeightKind, tfShape: number[]): number[] {
  switch (kind) {
    case "conv": {
      const [kh, kw, cin, cout] = tfShape;
      return [cout, cin, kh, kw];
    }
    case "depthwise": {
      const [kh, kw, c, mult] = tfShape;
      return [c * mult, 1, kh, kw];
    }
    case "dense": {
      const [cin, cout] = tfShape;
      return [cout, cin];
    }
    case "vector":
      return [...tfShape];
  }
}

/**
 * Whether a checkpoint shape can feed the variable: the expected torch shape, or (for 1x1 convs
 * vs linear layers, as in squeeze-excitation blocks) the same numbers with 1x1 spatial dims
 * added or dropped.
 */
export function torchShapeFits(kind: TfjsWeightKind, tfShape: number[], torchShape: number[]) {
  const want = expectedTorchShape(kind, tfShape);
  const strip = (s: number[]) => (s.length === 4 && s[2] === 1 && s[3] === 1 ? s.slice(0, 2) : s);
  if (kind === "conv" || kind === "dense") {
    return sameShape(strip(want), strip(torchShape));
  }
  return sameShape(want, torchShape);
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * `torchData` (row-major in the torch layout that fits `tfShape`) permuted into the tfjs layout
 * `tfShape`. Returns a new array.
 */
export function torchToTfjs(
  kind: TfjsWeightKind,
  tfShape: number[],
  torchData: Float32Array,
): Float32Array {
  const size = tfShape.reduce((a, b) => a * b, 1);
  if (torchData.length !== size) {
    throw new RangeError(
      `weight has ${torchData.length} values, tfjs shape [${tfShape}] needs ${size}`,
    );
  }
  const out = new Float32Array(size);
  switch (kind) {
    case "vector":
      out.set(torchData);
      return out;
    case "dense": {
      // torch [out, in] -> tfjs [in, out]
      const [cin, cout] = tfShape;
      for (let o = 0; o < cout; o++) {
        for (let i = 0; i < cin; i++) out[i * cout + o] = torchData[o * cin + i];
      }
      return out;
    }
    case "conv": {
      // torch [O, I, kh, kw] -> tfjs [kh, kw, I, O]
      const [kh, kw, cin, cout] = tfShape;
      for (let o = 0; o < cout; o++) {
        for (let i = 0; i < cin; i++) {
          for (let y = 0; y < kh; y++) {
            for (let x = 0; x < kw; x++) {
              out[((y * kw + x) * cin + i) * cout + o] =
                torchData[((o * cin + i) * kh + y) * kw + x];
            }
          }
        }
      }
      return out;
    }
    case "depthwise": {
      // torch [C*M, 1, kh, kw], output channel c*M + m -> tfjs [kh, kw, C, M]
      const [kh, kw, c, mult] = tfShape;
      for (let ch = 0; ch < c; ch++) {
        for (let m = 0; m < mult; m++) {
          const o = ch * mult + m;
          for (let y = 0; y < kh; y++) {
            for (let x = 0; x < kw; x++) {
              out[((y * kw + x) * c + ch) * mult + m] = torchData[(o * kh + y) * kw + x];
            }
          }
        }
      }
      return out;
    }
  }
}
