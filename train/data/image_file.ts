import { type ImageFormat, sniffFormat } from "../../shared/probe_image.ts";

/** File extensions torchvision's `ImageFolder` accepts (`torchvision.datasets.folder.IMG_EXTENSIONS`). */
export const IMG_EXTENSIONS = [
  ".jpg",
  ".jpeg",
  ".png",
  ".ppm",
  ".bmp",
  ".pgm",
  ".tif",
  ".tiff",
  ".webp",
] as const;

/** Whether `name` ends in one of `IMG_EXTENSIONS`, ignoring case (like torchvision). */
export function hasImageExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return IMG_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Formats `shared/decode.ts` decodes (it recognises WebP but refuses it). */
export const DECODABLE_FORMATS: readonly ImageFormat[] = ["png", "jpeg", "gif", "tiff", "bmp"];

/**
 * Reads the first bytes of `path` and returns the image format they announce, or null when the
 * file does not start like an image the decoder knows. Cheap: a dataset scan calls it per file.
 */
export async function sniffImageFile(path: string): Promise<ImageFormat | null> {
  const file = await Deno.open(path, { read: true });
  try {
    const head = new Uint8Array(16);
    let got = 0;
    while (got < head.length) {
      const n = await file.read(head.subarray(got));
      if (n === null) break;
      got += n;
    }
    return sniffFormat(head.subarray(0, got));
  } finally {
    file.close();
  }
}
