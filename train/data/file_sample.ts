import { decodeImage } from "../../shared/decode.ts";
import { ImageError } from "../../shared/image_error.ts";
import type { Sample } from "./dataset.ts";

/**
 * A sample backed by an image file: `load()` reads and decodes it. Decode errors stay
 * `ImageError`s (same `code`) with the path put in front of the message.
 */
export function fileSample(path: string, label: number): Sample {
  return {
    id: path,
    label,
    load: async () => {
      const bytes = await Deno.readFile(path);
      try {
        return await decodeImage(bytes);
      } catch (e) {
        if (e instanceof ImageError) {
          throw new ImageError(e.code, `${path}: ${e.message}`, { cause: e });
        }
        throw e;
      }
    },
  };
}
