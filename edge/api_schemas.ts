/**
 * The HTTP API as zod schemas: the OpenAPI document is generated from these, and the handlers'
 * answers are typed by them.
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import { STATUS_OF_CODE } from "./edge_error.ts";

const ERROR_CODES = Object.keys(STATUS_OF_CODE) as [string, ...string[]];

/** `{error: {code, message}}`, the body of every error answer. */
export const ErrorSchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES).openapi({ example: "unsupported_format" }),
    message: z.string().openapi({ example: "not a PNG, JPEG, GIF, TIFF, BMP or WebP image" }),
  }),
}).openapi("Error");

export const PredictionSchema = z.object({
  label: z.string().openapi({ example: "red" }),
  score: z.number().min(0).max(1).openapi({
    description: "softmax probability (after the model's temperature)",
    example: 0.93,
  }),
  index: z.number().int().min(0).openapi({ description: "class index in the model output" }),
}).openapi("Prediction");

export const TimingSchema = z.object({
  decode: z.number(),
  preprocess: z.number(),
  inference: z.number().openapi({
    description: "model run, including time waiting in the queue",
  }),
}).openapi("TimingMs");

export const ClassificationSchema = z.object({
  model: z.string().openapi({ example: "wafer_simple_cnn" }),
  predictions: z.array(PredictionSchema),
  timing_ms: TimingSchema,
}).openapi("Classification");

export const BatchItemSchema = z.union([
  z.object({
    filename: z.string(),
    predictions: z.array(PredictionSchema),
    timing_ms: TimingSchema,
  }),
  z.object({ filename: z.string(), error: ErrorSchema.shape.error }),
]).openapi("BatchItem");

export const BatchSchema = z.object({
  model: z.string(),
  results: z.array(BatchItemSchema).openapi({ description: "one entry per image, in order" }),
}).openapi("BatchClassification");

const NumberText = z.string().optional();

export const ClassifyQuerySchema = z.object({
  top_k: NumberText.openapi({
    param: { name: "top_k", in: "query" },
    description: "How many predictions (default 5). 0 = all labels; larger than the number of " +
      "labels is clamped; negative, fractional or non-numeric is 400 invalid_parameter.",
    example: "3",
  }),
  threshold: NumberText.openapi({
    param: { name: "threshold", in: "query" },
    description: "Drop predictions scoring below this, in [0, 1] (default 0).",
    example: "0.1",
  }),
});

/** GET /v1/model answer. */
export const ModelInfoSchema = z.object({
  name: z.string(),
  sha256: z.string(),
  engine: z.enum(["web", "native", "webgpu"]),
  threads: z.number().int(),
  labels: z.array(z.string()),
  preprocess: z.record(z.string(), z.unknown()).openapi({
    description: "PreprocessConfig: resize, crop, mean, std, layout, background",
  }),
  input: z.object({
    name: z.string(),
    shape: z.array(z.number().int()).openapi({ description: "[N, 3, H, W]; N = -1 if dynamic" }),
  }),
  arch: z.string(),
  metrics: z.record(z.string(), z.number()),
  temperature: z.number(),
  max_batch: z.number().int(),
  edgeclass_version: z.string(),
}).openapi("ModelInfo");

const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      {
        description: Object.entries(STATUS_OF_CODE).filter(([, v]) => v === s).map(([k]) => k)
          .join(", "),
        content: { "application/json": { schema: ErrorSchema } },
      },
    ]),
  );

const binary = { type: "string" as const, format: "binary" };
const imageBody = {
  description: "The image as the raw body (PNG, JPEG, GIF, TIFF, BMP; the format is " +
    "read from the magic bytes, not the content type), or multipart field `image`.",
  required: true,
  content: {
    "image/*": { schema: binary },
    "application/octet-stream": { schema: binary },
    "multipart/form-data": {
      schema: { type: "object" as const, properties: { image: binary }, required: ["image"] },
    },
  },
};

export const classifyRoute = createRoute({
  method: "post",
  path: "/v1/classify",
  summary: "Classify one image",
  request: { query: ClassifyQuerySchema, body: imageBody },
  responses: {
    200: {
      description: "Top-K predictions",
      content: { "application/json": { schema: ClassificationSchema } },
    },
    ...errors(400, 401, 408, 413, 415, 422, 503),
  },
});

export const classifyBatchRoute = createRoute({
  method: "post",
  path: "/v1/classify/batch",
  summary: "Classify several images (multipart, one `image` field per file)",
  description: "Errors are per file: a bad file gets `{error}` in its slot and the rest are " +
    "still classified. Request-level errors (auth, body size, part count, overload) fail it whole.",
  request: {
    query: ClassifyQuerySchema,
    body: {
      required: true,
      content: {
        "multipart/form-data": {
          schema: {
            type: "object" as const,
            properties: { image: { type: "array" as const, items: binary } },
          },
        },
      },
    },
  },
  responses: {
    200: {
      description: "One result per file, in order",
      content: { "application/json": { schema: BatchSchema } },
    },
    ...errors(400, 401, 408, 413, 503),
  },
});

export const modelRoute = createRoute({
  method: "get",
  path: "/v1/model",
  summary: "The served model: labels, preprocessing, input shape, metrics, engine",
  responses: {
    200: {
      description: "Model info",
      content: { "application/json": { schema: ModelInfoSchema } },
    },
    ...errors(401, 503),
  },
});

export const healthzRoute = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness: the process answers",
  responses: {
    200: {
      description: "Alive",
      content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
    },
  },
});

export const readyzRoute = createRoute({
  method: "get",
  path: "/readyz",
  summary: "Readiness: 200 once the model is loaded and warmed up, 503 before",
  responses: {
    200: {
      description: "Ready",
      content: {
        "application/json": {
          schema: z.object({ status: z.literal("ready"), model: z.string(), engine: z.string() }),
        },
      },
    },
    ...errors(503),
  },
});
