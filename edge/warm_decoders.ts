import { decodeImage } from "../shared/decode.ts";

// 8x8 images written by Pillow: decoding them once compiles each decoder's WASM, so the first
// client request does not pay for it (about 100 ms on PNG).
const SAMPLES: Record<string, string> = {
  png:
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAFElEQVR4nGM8ISfHgA0wYRUdtBIA0MoBFD5jqJkAAAAASUVORK5CYII=",
  jpeg:
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCAAIAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDkKKKK8U/TD//Z",
  gif: "R0lGODdhCAAIAIEAAMgeHgAAAAAAAAAAACwAAAAACAAIAAAIDwABCBxIsKDBgwgTKkwYEAA7",
};

/**
 * Decodes one tiny sample of each format so the decoders are compiled before the server says it
 * is ready. Returns `format: message` for each decoder that failed (the caller logs them: a
 * format that cannot decode here will answer its requests with an error, not crash).
 */
export async function warmDecoders(): Promise<string[]> {
  const failures: string[] = [];
  for (const [format, b64] of Object.entries(SAMPLES)) {
    try {
      const img = await decodeImage(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
      if (img.width !== 8 || img.height !== 8) {
        throw new Error(`decoded ${img.width}x${img.height}`);
      }
    } catch (e) {
      failures.push(`${format}: ${(e as Error).message}`);
    }
  }
  return failures;
}
