import assert from "node:assert/strict";
import { ImageError } from "../shared/image_error.ts";
import { EdgeError, isBodyReadError, STATUS_OF_CODE, toEdgeError } from "./edge_error.ts";

Deno.test("toEdgeError maps what a request can throw to a stable code, and hides our own bugs as internal", () => {
  const cutOff = "Cannot read body as underlying resource unavailable";
  // [name, thrown, code]
  const table: [string, unknown, string][] = [
    // What Deno.serve throws when the client cuts its body (Content-Length, chunked, 100-continue).
    ["BadResource reading a body", new Deno.errors.BadResource(cutOff), "invalid_body"],
    [
      "BadResource reading a request body",
      new Deno.errors.BadResource("Cannot read request body as underlying resource unavailable"),
      "invalid_body",
    ],
    [
      "ConnectionReset reading a body",
      new Deno.errors.ConnectionReset(`body: ${cutOff}`),
      "invalid_body",
    ],
    // The same classes without a body in sight come from our own resources: a bug, not the client.
    ["BadResource on a file", new Deno.errors.BadResource("Bad resource ID"), "internal"],
    [
      "a TypeError about a body (read twice: our bug)",
      new TypeError("Body already consumed"),
      "internal",
    ],
    ["a plain Error saying body", new Error("request body is broken"), "internal"],
    ["an HTTP 408 exception", Object.assign(new Error("slow"), { status: 408 }), "request_timeout"],
    ["an ImageError", new ImageError("corrupt_image", "png: bad"), "corrupt_image"],
    ["an EdgeError", new EdgeError("invalid_body", "cut"), "invalid_body"],
    ["a string", "body", "internal"],
  ];
  for (const [name, thrown, code] of table) {
    const e = toEdgeError(thrown);
    assert.equal(e.code, code, name);
    assert.equal(e.status, STATUS_OF_CODE[e.code], name);
    if (code === "internal") assert.equal(e.message, "internal error", `${name}: details hidden`);
  }
  assert.equal(isBodyReadError(new Deno.errors.BadResource(cutOff)), true);
  assert.equal(STATUS_OF_CODE.invalid_body, 400);
  assert.equal(STATUS_OF_CODE.request_timeout, 408);
});
