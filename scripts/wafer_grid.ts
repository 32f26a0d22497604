/**
 * Writes a PNG contact sheet of the synthetic wafer maps: one row per class, several examples.
 *
 *   deno run -A scripts/wafer_grid.ts out.png [--per-class 8] [--size 32] [--scale 3] [--seed 0]
 *
 * Each row is labelled with its class name; tiles are upscaled `--scale` times (nearest).
 * @module
 */
import { Image as ScriptImage } from "imagescript";
import { DEFAULT_WAFER_OPTIONS, waferImage } from "../train/data/wafer.ts";
import { WAFER_CLASSES } from "../train/data/wafer_map.ts";

/** A 5x7 bitmap font for the row labels (imagescript's renderText needs Deno.core). */
const GLYPHS: Record<string, string[]> = {
  C: [".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."],
  D: ["####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."],
  E: ["#####", "#....", "#....", "####.", "#....", "#....", "#####"],
  L: ["#....", "#....", "#....", "#....", "#....", "#....", "#####"],
  N: ["#...#", "##..#", "##..#", "#.#.#", "#..##", "#..##", "#...#"],
  R: ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"],
  S: [".####", "#....", "#....", ".###.", "....#", "....#", "####."],
  a: [".....", ".....", ".###.", "....#", ".####", "#...#", ".####"],
  c: [".....", ".....", ".###.", "#....", "#....", "#...#", ".###."],
  d: ["....#", "....#", ".####", "#...#", "#...#", "#...#", ".####"],
  e: [".....", ".....", ".###.", "#...#", "#####", "#....", ".###."],
  f: ["..##.", ".#...", "####.", ".#...", ".#...", ".#...", ".#..."],
  g: [".....", ".....", ".####", "#...#", ".####", "....#", ".###."],
  h: ["#....", "#....", "#.##.", "##..#", "#...#", "#...#", "#...#"],
  i: ["..#..", ".....", ".##..", "..#..", "..#..", "..#..", ".###."],
  l: [".##..", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."],
  m: [".....", ".....", "##.#.", "#.#.#", "#.#.#", "#.#.#", "#.#.#"],
  n: [".....", ".....", "#.##.", "##..#", "#...#", "#...#", "#...#"],
  o: [".....", ".....", ".###.", "#...#", "#...#", "#...#", ".###."],
  r: [".....", ".....", "#.##.", "##..#", "#....", "#....", "#...."],
  t: [".#...", ".#...", "####.", ".#...", ".#...", ".#..#", "..##."],
  u: [".....", ".....", "#...#", "#...#", "#...#", "#..##", ".##.#"],
  "-": [".....", ".....", ".....", "#####", ".....", ".....", "....."],
  " ": [".....", ".....", ".....", ".....", ".....", ".....", "....."],
};

function parseArgs(args: string[]): { out: string; flags: Record<string, number> } {
  const flags: Record<string, number> = { "per-class": 8, size: 32, scale: 3, seed: 0 };
  let out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith("--")) {
      const name = a.slice(2);
      if (!(name in flags)) {
        throw new Error(`unknown flag ${a} (known: ${Object.keys(flags).join(", ")})`);
      }
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`flag ${a} needs a non-negative integer`);
      flags[name] = v;
    } else if (out === undefined) out = a;
    else throw new Error(`unexpected argument '${a}'`);
  }
  if (!out) {
    throw new Error(
      "usage: wafer_grid.ts OUT.png [--per-class N] [--size PX] [--scale K] [--seed S]",
    );
  }
  return { out, flags };
}

/** Sets one RGBA pixel of `sheet` to `rgb`. */
function put(sheet: ScriptImage, x: number, y: number, rgb: ArrayLike<number>) {
  const d = (y * sheet.width + x) * 4;
  sheet.bitmap[d] = rgb[0];
  sheet.bitmap[d + 1] = rgb[1];
  sheet.bitmap[d + 2] = rgb[2];
  sheet.bitmap[d + 3] = 255;
}

/** Draws `text` in black with each font pixel as a `scale` x `scale` square. */
function drawText(sheet: ScriptImage, text: string, left: number, top: number, scale: number) {
  for (const [i, ch] of [...text].entries()) {
    const rows = GLYPHS[ch] ?? GLYPHS[" "];
    for (let gy = 0; gy < 7; gy++) {
      for (let gx = 0; gx < 5; gx++) {
        if (rows[gy][gx] !== "#") continue;
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale; sx++) {
            put(sheet, left + (i * 6 + gx) * scale + sx, top + gy * scale + sy, [0, 0, 0]);
          }
        }
      }
    }
  }
}

async function main() {
  const { out, flags } = parseArgs(Deno.args);
  const perClass = flags["per-class"];
  const opts = { ...DEFAULT_WAFER_OPTIONS, imageSize: flags.size, seed: flags.seed };
  const tile = flags.size * flags.scale;
  const gap = 4;
  const textScale = 2;
  const labelWidth = Math.max(...WAFER_CLASSES.map((c) => c.length)) * 6 * textScale + 2 * gap;
  const width = labelWidth + perClass * (tile + gap) + gap;
  const height = WAFER_CLASSES.length * (tile + gap) + gap;
  const sheet = new ScriptImage(width, height);
  sheet.fill(0xffffffff);
  for (let cls = 0; cls < WAFER_CLASSES.length; cls++) {
    const top = gap + cls * (tile + gap);
    drawText(
      sheet,
      WAFER_CLASSES[cls],
      gap,
      top + Math.max(0, (tile - 7 * textScale) >> 1),
      textScale,
    );
    for (let k = 0; k < perClass; k++) {
      // Indices far from the dataset's own (0..n) so the sheet shows fresh maps.
      const img = waferImage(cls, 1_000_000 + cls * 1000 + k, opts);
      const left = labelWidth + gap + k * (tile + gap);
      for (let y = 0; y < tile; y++) {
        for (let x = 0; x < tile; x++) {
          const s = (Math.floor(y / flags.scale) * img.width + Math.floor(x / flags.scale)) * 3;
          put(sheet, left + x, top + y, img.data.subarray(s, s + 3));
        }
      }
    }
  }
  await Deno.writeFile(out, await sheet.encode());
  console.log(`wrote ${out} (${width}x${height}); rows: ${WAFER_CLASSES.join(", ")}`);
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(`wafer_grid: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
