import * as vega from "vega";
import * as vl from "vega-lite";
import { initWasm, Resvg } from "@resvg/resvg-wasm";

/** The per-epoch numbers the curves need (a subset of the trainer's history records). */
export interface CurvePoint {
  /** 1-based epoch. */
  epoch: number;
  trainLoss: number;
  valLoss: number;
  trainAcc: number;
  valAcc: number;
}

/** System fonts tried in order; resvg draws no text at all without one. */
export const FONT_CANDIDATES = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
  "/System/Library/Fonts/Supplemental/Arial.ttf",
  "C:\\Windows\\Fonts\\arial.ttf",
];

const RESVG_WASM = new URL("../node_modules/@resvg/resvg-wasm/index_bg.wasm", import.meta.url);

let ready: Promise<Uint8Array> | null = null;

/** Initializes resvg once per process and finds a font (`EDGECLASS_FONT` overrides the list). */
function init(): Promise<Uint8Array> {
  ready ??= (async () => {
    let wasm: Uint8Array;
    try {
      wasm = await Deno.readFile(RESVG_WASM);
    } catch (err) {
      throw new Error(
        `charts: cannot read ${RESVG_WASM.pathname} (${
          (err as Error).message
        }); run 'deno install' so node_modules has @resvg/resvg-wasm`,
      );
    }
    await initWasm(wasm);
    const env = Deno.env.get("EDGECLASS_FONT");
    for (const path of env ? [env, ...FONT_CANDIDATES] : FONT_CANDIDATES) {
      try {
        return await Deno.readFile(path);
      } catch {
        // try the next candidate
      }
    }
    throw new Error(
      `charts: no TrueType font found (tried ${FONT_CANDIDATES.join(", ")}); install one ` +
        `(Debian: apt-get install fonts-dejavu-core) or set EDGECLASS_FONT to a .ttf file`,
    );
  })();
  return ready;
}

/** Renders a vega-lite spec to PNG: vega-lite -> vega -> SVG (headless) -> resvg. */
export async function renderVegaLitePng(spec: vl.TopLevelSpec, scale = 2): Promise<Uint8Array> {
  const font = await init();
  const vgSpec = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    const resvg = new Resvg(svg, {
      font: { fontBuffers: [font], loadSystemFonts: false, defaultFontFamily: "DejaVu Sans" },
      fitTo: { mode: "zoom", value: scale },
      background: "white",
    });
    const image = resvg.render();
    const png = image.asPng();
    image.free();
    resvg.free();
    return png;
  } finally {
    view.finalize();
  }
}

/** Loss and accuracy, train vs val, per epoch: two panels side by side. */
export function curvesSpec(history: readonly CurvePoint[]): vl.TopLevelSpec {
  const rows = history.flatMap((h) => [
    { epoch: h.epoch, split: "train", loss: h.trainLoss, accuracy: h.trainAcc },
    { epoch: h.epoch, split: "val", loss: h.valLoss, accuracy: h.valAcc },
  ]);
  const panel = (field: "loss" | "accuracy", title: string) => ({
    title,
    width: 320,
    height: 220,
    mark: { type: "line" as const, point: true },
    encoding: {
      x: {
        field: "epoch",
        type: "quantitative" as const,
        axis: { tickMinStep: 1, format: "d" },
        scale: { nice: false },
      },
      y: {
        field,
        type: "quantitative" as const,
        ...(field === "accuracy" ? { scale: { domain: [0, 1] } } : {}),
      },
      color: { field: "split", type: "nominal" as const, title: null },
    },
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    data: { values: rows },
    hconcat: [panel("loss", "Loss"), panel("accuracy", "Accuracy")],
    config: { font: "DejaVu Sans" },
  };
}

/**
 * The confusion matrix as a heatmap: rows are true classes, columns predictions; colour is the
 * row-normalised rate (so small classes are readable), text is the raw count.
 */
export function confusionSpec(confusion: number[][], labels: string[]): vl.TopLevelSpec {
  const cells = confusion.flatMap((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count, p) => ({
      actual: labels[t],
      predicted: labels[p],
      count,
      rate: total === 0 ? 0 : count / total,
    }));
  });
  const side = Math.max(160, Math.min(36 * labels.length, 720));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: "Confusion matrix (validation)",
    data: { values: cells },
    width: side,
    height: side,
    encoding: {
      x: { field: "predicted", type: "nominal", sort: labels, axis: { labelAngle: -45 } },
      y: { field: "actual", type: "nominal", sort: labels },
    },
    layer: [
      {
        mark: "rect",
        encoding: {
          color: {
            field: "rate",
            type: "quantitative",
            scale: { domain: [0, 1], range: ["#f7fbff", "#08306b"] },
            title: "row rate",
          },
        },
      },
      {
        mark: { type: "text", fontSize: labels.length > 20 ? 7 : 11 },
        encoding: {
          text: { field: "count", type: "quantitative" },
          color: { condition: { test: "datum.rate > 0.5", value: "white" }, value: "black" },
        },
      },
    ],
    config: { font: "DejaVu Sans" },
  };
}

/** curves.png for the history so far. */
export function renderCurves(history: readonly CurvePoint[]): Promise<Uint8Array> {
  return renderVegaLitePng(curvesSpec(history));
}

/** confusion.png for a confusion matrix. */
export function renderConfusion(confusion: number[][], labels: string[]): Promise<Uint8Array> {
  return renderVegaLitePng(confusionSpec(confusion, labels));
}
