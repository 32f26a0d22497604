import assert from "node:assert/strict";
import { warmDecoders } from "./warm_decoders.ts";

Deno.test("warmDecoders decodes its PNG, JPEG and GIF samples with all permissions", async () => {
  assert.deepEqual(await warmDecoders(), []);
});
