/** Stable error codes for images that cannot be used. The edge maps them to HTTP statuses. */
export type ImageErrorCode =
  | "unsupported_format"
  | "corrupt_image"
  | "too_many_pixels"
  | "too_large";

/**
 * An image was refused. Callers (the edge, dataset loaders) catch this class and read `code`;
 * everything else in `shared/` throws built-in errors.
 */
export class ImageError extends Error {
  readonly code: ImageErrorCode;
  constructor(code: ImageErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ImageError";
    this.code = code;
  }
}
