/**
 * `deno task predict --plot`: each image beside a bar chart of its top-K probabilities, as one
 * PNG. The chart is a vega-lite spec (the image is an `image` mark with a PNG data URL), compiled
 * to vega, rendered to SVG by vega, and rasterised by resvg-wasm. Nothing is drawn by hand.
 * @module
 */
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { Image as ScriptImage } from "imagescript";
import { createRequire } from "node:module";
import * as vega from "vega";
import * as vl from "vega-lite";
import type { Image } from "../shared/image.ts";
import { resize } from "../shared/resize.ts";
import type { Prediction } from "./classify_images.ts";

/** One row of the figure. */
export interface PlotRow {
  title: string;
  /** The decoded image (RGB). */
  image: Image;
  predictions: Prediction[];
}

/** Fonts tried, in order, when EDGECLASS_FONT is not set. resvg-wasm cannot see system fonts. */
export const FONT_CANDIDATES = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
  "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
  "/System/Library/Fonts/Supplemental/Arial.ttf",
  "C:\\Windows\\Fonts\\arial.ttf",
];

const IMAGE_SIDE = 224;

/** The size `img` is drawn at: scaled (up or down) to fit a `side` x `side` box. */
export function fitSize(img: Image, side = IMAGE_SIDE): [number, number] {
  const scale = side / Math.max(img.width, img.height);
  return [
    Math.max(1, Math.round(img.width * scale)),
    Math.max(1, Math.round(img.height * scale)),
  ];
}

/**
 * The image as a PNG data URL at `fitSize` (Pillow-exact bilinear down, nearest up so that small
 * images stay crisp).
 */
export async function imageToPngDataUrl(img: Image, side = IMAGE_SIDE): Promise<string> {
  const [w, h] = fitSize(img, side);
  const small = resize(img, w, h, w < img.width ? "bilinear" : "nearest");
  const out = new ScriptImage(small.width, small.height);
  const rgba = out.bitmap; // [H, W, 4]
  for (let i = 0, j = 0; i < small.width * small.height; i++, j += 3) {
    rgba[4 * i] = small.data[j];
    rgba[4 * i + 1] = small.data[j + 1];
    rgba[4 * i + 2] = small.data[j + 2];
    rgba[4 * i + 3] = 255;
  }
  const png = await out.encode();
  let binary = "";
  for (let i = 0; i < png.length; i += 0x8000) {
    binary += String.fromCharCode(...png.subarray(i, i + 0x8000));
  }
  return `data:image/png;base64,${btoa(binary)}`;
}

/**
 * The vega-lite spec: one row per image, the picture (an image mark fed `imageUrls[i]`) on the
 * left and horizontal probability bars, best first, with percentages, on the right.
 */
export function predictionChartSpec(
  rows: {
    title: string;
    imageUrl: string;
    width: number;
    height: number;
    predictions: Prediction[];
  }[],
  font = "sans-serif",
): vl.TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    background: "white",
    padding: 12,
    config: { font, view: { stroke: null }, title: { fontSize: 13, anchor: "start" } },
    vconcat: rows.map((row) => ({
      hconcat: [
        {
          // A fixed-width column (and a title cut to it) keeps the bars aligned across rows.
          title: { text: row.title, limit: IMAGE_SIDE },
          width: IMAGE_SIDE,
          height: row.height,
          data: { values: [{ url: row.imageUrl }] },
          mark: {
            type: "image",
            width: row.width,
            height: row.height,
            align: "left",
            baseline: "top",
          },
          encoding: {
            x: { value: 0 },
            y: { value: 0 },
            url: { field: "url", type: "nominal" },
          },
        },
        {
          title: `top-${row.predictions.length}`,
          width: 300,
          height: { step: 24 },
          data: {
            values: row.predictions,
          },
          encoding: {
            // Data order is rank order; null keeps it (and both layers agree).
            y: { field: "label", type: "nominal", sort: null, title: null },
            x: {
              field: "score",
              type: "quantitative",
              scale: { domain: [0, 1] },
              axis: { format: ".0%" },
              title: "probability",
            },
          },
          layer: [
            { mark: { type: "bar", color: "#2f6fed" } },
            {
              mark: { type: "text", align: "left", dx: 4, fontSize: 11 },
              encoding: { text: { field: "score", type: "quantitative", format: ".1%" } },
            },
          ],
        },
      ],
    })),
  } as vl.TopLevelSpec;
}

let wasmReady: Promise<void> | undefined;

async function loadFont(): Promise<{ bytes: Uint8Array; family: string } | undefined> {
  const override = Deno.env.get("EDGECLASS_FONT");
  for (const path of override ? [override] : FONT_CANDIDATES) {
    try {
      const bytes = await Deno.readFile(path);
      const base = path.split(/[\\/]/).pop() ?? "";
      const family = /dejavu/i.test(base)
        ? "DejaVu Sans"
        : /liberation/i.test(base)
        ? "Liberation Sans"
        : "Arial";
      return { bytes, family };
    } catch {
      if (override) throw new Error(`EDGECLASS_FONT ${override}: cannot read the font file`);
    }
  }
  return undefined;
}

/** Renders `rows` to PNG bytes. Warns on stderr (text missing) when no font file is found. */
export async function plotPredictions(rows: PlotRow[]): Promise<Uint8Array> {
  wasmReady ??= (async () => {
    const require = createRequire(import.meta.url);
    await initWasm(await Deno.readFile(require.resolve("@resvg/resvg-wasm/index_bg.wasm")));
  })();
  await wasmReady;
  const font = await loadFont();
  if (!font) {
    console.error("predict --plot: no font file found (set EDGECLASS_FONT); text is left out");
  }
  const specRows = [];
  for (const row of rows) {
    const [width, height] = fitSize(row.image);
    specRows.push({
      title: row.title,
      imageUrl: await imageToPngDataUrl(row.image),
      width,
      height,
      predictions: row.predictions,
    });
  }
  const spec = predictionChartSpec(specRows, font?.family);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: 2 },
    font: {
      fontBuffers: font ? [font.bytes] : [],
      defaultFontFamily: font?.family,
      loadSystemFonts: false,
    },
  });
  const rendered = resvg.render();
  const png = rendered.asPng();
  rendered.free();
  resvg.free();
  return png;
}
