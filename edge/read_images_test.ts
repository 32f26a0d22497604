import assert from "node:assert/strict";
import { multipartBoundary, readSingleImage } from "./read_images.ts";
import { EdgeError } from "./edge_error.ts";

Deno.test("multipartBoundary reads quoted and bare boundaries, else null", () => {
  const table: [string, string | null][] = [
    ["multipart/form-data; boundary=abc", "abc"],
    ['multipart/form-data; boundary="a b;c"', "a b;c"],
    ["multipart/form-data; charset=utf-8; BOUNDARY=----x123", "----x123"],
    ["multipart/form-data;boundary=q;charset=utf-8", "q"],
    ["multipart/form-data", null],
    ["multipart/form-data; boundary=", null],
  ];
  for (const [type, want] of table) assert.equal(multipartBoundary(type), want, type);
});

Deno.test("readSingleImage reads a complete multipart upload and refuses a cut-off one", async () => {
  const form = new FormData();
  form.append("image", new File([new Uint8Array([1, 2, 3])], "a.bin"));
  const whole = new Request("http://x/", { method: "POST", body: form });
  const type = whole.headers.get("content-type")!;
  const bytes = new Uint8Array(await whole.clone().arrayBuffer());
  const image = await readSingleImage(whole);
  assert.deepEqual(image.bytes, new Uint8Array([1, 2, 3]));
  assert.equal(image.filename, "a.bin");
  // every cut before the closing delimiter is invalid_multipart, never a missing image
  const end = new TextDecoder().decode(bytes).lastIndexOf("--\r\n");
  for (const cut of [bytes.length - 6, end, Math.floor(bytes.length / 2), 10]) {
    const req = new Request("http://x/", {
      method: "POST",
      body: bytes.slice(0, cut),
      headers: { "content-type": type },
    });
    await assert.rejects(
      () => readSingleImage(req),
      (e: unknown) => e instanceof EdgeError && e.code === "invalid_multipart",
      `cut at ${cut} of ${bytes.length}`,
    );
  }
});
