import { EdgeError } from "./edge_error.ts";

/** One uploaded image: its bytes, or the error that makes the slot unusable. */
export interface UploadedImage {
  /** The multipart filename, or "" for a raw body. */
  filename: string;
  bytes: Uint8Array | EdgeError;
}

/** The multipart field that carries images. */
export const IMAGE_FIELD = "image";

function isMultipart(req: Request): boolean {
  const type = req.headers.get("content-type") ?? "";
  return type.split(";")[0].trim().toLowerCase() === "multipart/form-data";
}

/** The boundary parameter of a multipart content type (quoted or not), or null. */
export function multipartBoundary(contentType: string): string | null {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m === null ? null : (m[1] ?? m[2]);
}

/** Whether `body` holds the closing delimiter `--boundary--` of its multipart encoding. */
function hasClosingDelimiter(body: Uint8Array, boundary: string): boolean {
  const delimiter = new TextEncoder().encode(`--${boundary}--`);
  // The close delimiter is near the end (only an epilogue may follow), so search backwards.
  outer: for (let at = body.length - delimiter.length; at >= 0; at--) {
    for (let i = 0; i < delimiter.length; i++) {
      if (body[at + i] !== delimiter[i]) continue outer;
    }
    return true;
  }
  return false;
}

async function parseForm(req: Request): Promise<FormData> {
  const type = req.headers.get("content-type") ?? "";
  const boundary = multipartBoundary(type);
  if (boundary === null) {
    throw new EdgeError("invalid_multipart", "multipart/form-data without a boundary parameter");
  }
  const body = new Uint8Array(await req.arrayBuffer());
  // Deno's parser accepts a body cut off before its closing delimiter and returns the parts it
  // saw, so a truncated upload would read as "no image" instead of as a broken request.
  if (!hasClosingDelimiter(body, boundary)) {
    throw new EdgeError(
      "invalid_multipart",
      `malformed multipart body: no closing delimiter '--${boundary}--' (cut off?)`,
    );
  }
  try {
    return await new Response(body, { headers: { "content-type": type } }).formData();
  } catch (e) {
    throw new EdgeError("invalid_multipart", `malformed multipart body: ${(e as Error).message}`);
  }
}

async function fileBytes(entry: FormDataEntryValue, n: number): Promise<UploadedImage> {
  if (typeof entry === "string") {
    return {
      filename: "",
      bytes: new EdgeError("invalid_parameter", `part ${n} '${IMAGE_FIELD}' is text, not a file`),
    };
  }
  return { filename: entry.name, bytes: new Uint8Array(await entry.arrayBuffer()) };
}

/**
 * The one image of `/v1/classify`: the raw body (any content type, the format is sniffed from
 * the bytes later), or the single multipart field `image`. The body size was already bounded
 * by the body-limit middleware while streaming.
 */
export async function readSingleImage(req: Request): Promise<UploadedImage> {
  if (!isMultipart(req)) {
    const bytes = new Uint8Array(await req.arrayBuffer());
    if (bytes.length === 0) throw new EdgeError("missing_image", "the request body is empty");
    return { filename: "", bytes };
  }
  const images = (await parseForm(req)).getAll(IMAGE_FIELD);
  if (images.length === 0) {
    throw new EdgeError("missing_image", `multipart field '${IMAGE_FIELD}' is missing`);
  }
  if (images.length > 1) {
    throw new EdgeError(
      "invalid_parameter",
      `got ${images.length} '${IMAGE_FIELD}' fields; use /v1/classify/batch for several`,
    );
  }
  const image = await fileBytes(images[0], 1);
  if (image.bytes instanceof EdgeError) throw image.bytes;
  if (image.bytes.length === 0) throw new EdgeError("missing_image", "the image file is empty");
  return image;
}

/**
 * The images of `/v1/classify/batch`, in order: every multipart `image` field. At most
 * `maxParts` parts of any name (so a flood of tiny parts is refused whole). A part that is
 * text or empty becomes an error in its own slot.
 */
export async function readBatchImages(req: Request, maxParts: number): Promise<UploadedImage[]> {
  if (!isMultipart(req)) {
    throw new EdgeError(
      "invalid_multipart",
      `send multipart/form-data with one '${IMAGE_FIELD}' field per file`,
    );
  }
  const form = await parseForm(req);
  let parts = 0;
  form.forEach(() => parts++);
  if (parts > maxParts) {
    throw new EdgeError("too_many_files", `${parts} parts; at most ${maxParts} per batch`);
  }
  const entries = form.getAll(IMAGE_FIELD);
  if (entries.length === 0) {
    throw new EdgeError("missing_image", `no multipart field '${IMAGE_FIELD}'`);
  }
  const out: UploadedImage[] = [];
  for (const [i, entry] of entries.entries()) {
    const image = await fileBytes(entry, i + 1);
    if (!(image.bytes instanceof EdgeError) && image.bytes.length === 0) {
      image.bytes = new EdgeError("missing_image", `file ${i + 1} is empty`);
    }
    out.push(image);
  }
  return out;
}
