/**
 * The demo and docs pages in a real headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core): pick a file, drop a file, wait for the bars, take screenshots.
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { createApp } from "./app.ts";
import { loadServedModel } from "./served_model.ts";
import { makeTestImages, REAL_PHOTOS } from "./test_images_fixture.ts";
import { makeTinyModel } from "./tiny_model_fixture.ts";

const CHROMIUM = "/usr/bin/chromium";

// The few DOM shapes the page callbacks touch; this file is type-checked without the DOM lib
// (adding it would leak into the whole project's check).
interface BarRow {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelector(sel: string): { getBoundingClientRect(): { width: number } } | null;
}
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

Deno.test("demo page: pick or drop an image, see it with top-K bars (headless Chromium)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edge_demo_" });
  const tiny = await makeTinyModel(dir, "tiny", { size: 32 });
  const images = await makeTestImages(dir);
  const model = await loadServedModel(await Deno.readFile(tiny.onnxPath), {
    name: "tiny",
    engine: "web",
    threads: 1,
    maxBatch: 1,
    batchWaitMs: 0,
    queueLimit: 8,
  });
  const app = createApp({
    model: () => model,
    limits: { maxBodyBytes: 4 << 20, maxPixels: 4_000_000, batchMaxFiles: 4 },
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 960, height: 560 } });
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(base);
    await page.waitForFunction(`document.getElementById("model-name").textContent !== "…"`);
    assert.equal(await page.textContent("#model-name"), "tiny (web)");

    // Pick a real photo with the file input.
    await page.setInputFiles("#file", REAL_PHOTOS[1]);
    await page.waitForSelector("#bars .bar");
    const bars = await page.$$eval(
      "#bars .bar",
      (rows) =>
        (rows as unknown as BarRow[]).map((r) => ({
          label: r.dataset.label,
          score: Number(r.dataset.score),
          width: r.querySelector(".fill")!.getBoundingClientRect().width,
          text: r.textContent,
        })),
    );
    assert.equal(bars.length, 5);
    const api = await (await fetch(`${base}/v1/classify?top_k=5`, {
      method: "POST",
      body: await Deno.readFile(REAL_PHOTOS[1]),
    })).json();
    assert.deepEqual(
      bars.map((b) => b.label),
      api.predictions.map((p: { label: string }) => p.label),
    );
    for (let i = 1; i < bars.length; i++) {
      assert.ok(bars[i - 1].width >= bars[i].width, "bars are ranked");
    }
    assert.ok(bars[0].width > 0);
    assert.match(
      bars[0].text ?? "",
      new RegExp(`${bars[0].label}\\s*${(100 * bars[0].score).toFixed(1)}%`),
    );
    const preview = await page.$eval(
      "#preview",
      (img) => (img as unknown as { naturalWidth: number }).naturalWidth,
    );
    assert.equal(preview, 451, "the picture is shown (chelsea.png is 451 px wide)");
    await page.screenshot({ path: `${dir}/demo_pick.png` });

    // Drop a file on the drop zone.
    const red = Array.from(await Deno.readFile(images.red));
    await page.evaluate(`(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(${
      JSON.stringify(red)
    })], "red.png", { type: "image/png" }));
      document.getElementById("drop").dispatchEvent(
        new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }),
      );
    })()`);
    await page.waitForFunction(
      `document.querySelector("#bars .bar")?.getAttribute("data-label") === "red"`,
    );
    assert.equal(await page.textContent("#status"), "red.png");
    await page.screenshot({ path: `${dir}/demo_drop.png` });

    // A file the server refuses shows its error code, not bars.
    await page.setInputFiles("#file", images.text);
    await page.waitForSelector("#status.error");
    assert.match(await page.textContent("#status") ?? "", /^unsupported_format: /);
    assert.equal(await page.$$eval("#bars .bar", (r) => r.length), 0);

    // The docs page renders the OpenAPI document without any CDN.
    await page.goto(`${base}/docs`);
    await page.waitForSelector("section.op");
    assert.equal(await page.$$eval("section.op", (s) => s.length), 5);
    assert.ok(await page.$("#schema-Classification"));
    await page.screenshot({ path: `${dir}/docs.png`, fullPage: false });
    assert.deepEqual(pageErrors, []);
    for (const shot of ["demo_pick.png", "demo_drop.png", "docs.png"]) {
      assert.ok((await Deno.stat(`${dir}/${shot}`)).size > 5000, shot);
    }
    if (Deno.env.get("EDGE_KEEP_SCREENSHOTS")) {
      console.log(`screenshots kept in ${dir}`);
      return;
    }
  } finally {
    await browser.close();
    await server.shutdown();
    await model.release();
  }
  await Deno.remove(dir, { recursive: true });
});
