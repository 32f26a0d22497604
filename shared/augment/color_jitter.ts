import type { Image } from "../image.ts";
import type { Rng } from "../rng.ts";
import { adjustBrightness } from "./adjust_brightness.ts";
import { adjustContrast } from "./adjust_contrast.ts";
import { adjustHue } from "./adjust_hue.ts";
import { adjustSaturation } from "./adjust_saturation.ts";
import { copyImage } from "./copy_image.ts";
import type { Transform } from "./transform.ts";

/** A jitter strength `v` (factor drawn from [1 - v, 1 + v], or [-v, v] for hue) or an explicit [min, max]. */
export type JitterRange = number | readonly [number, number];

/** What `torchvision.transforms.ColorJitter` takes; an omitted or zero entry disables that op. */
export interface ColorJitterOptions {
  brightness?: JitterRange;
  contrast?: JitterRange;
  saturation?: JitterRange;
  hue?: JitterRange;
}

/** One draw of ColorJitter: the order of the four ops (0 brightness, 1 contrast, 2 saturation,
 * 3 hue) and each factor, `null` for a disabled op. */
export interface ColorJitterParams {
  order: readonly number[];
  brightness: number | null;
  contrast: number | null;
  saturation: number | null;
  hue: number | null;
}

type Span = readonly [number, number] | null;

/** torchvision `ColorJitter._check_input`: the factor interval, or null when it is the identity. */
function checkInput(
  value: JitterRange | undefined,
  name: string,
  center: number,
  bound: readonly [number, number],
  clipFirstOnZero: boolean,
): Span {
  if (value === undefined) return null;
  let lo: number, hi: number;
  if (typeof value === "number") {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
    }
    [lo, hi] = [center - value, center + value];
    if (clipFirstOnZero) lo = Math.max(lo, 0);
  } else {
    [lo, hi] = value;
  }
  // torchvision checks the bound only for pairs; a single hue > 0.5 would then fail inside
  // adjust_hue on the first call, so it is checked here for both forms.
  if (!(bound[0] <= lo && lo <= hi && hi <= bound[1])) {
    throw new RangeError(
      `${name} must lie in [${bound[0]}, ${bound[1]}] with min <= max, got [${lo}, ${hi}]`,
    );
  }
  return lo === center && hi === center ? null : [lo, hi];
}

/** The resolved factor intervals of a ColorJitter (null = op disabled). */
export interface ColorJitterSpans {
  brightness: Span;
  contrast: Span;
  saturation: Span;
  hue: Span;
}

/** Validates options and resolves them to factor intervals, as torchvision's constructor does. */
export function colorJitterSpans(options: ColorJitterOptions): ColorJitterSpans {
  const inf = Number.POSITIVE_INFINITY;
  return {
    brightness: checkInput(options.brightness, "brightness", 1, [0, inf], true),
    contrast: checkInput(options.contrast, "contrast", 1, [0, inf], true),
    saturation: checkInput(options.saturation, "saturation", 1, [0, inf], true),
    hue: checkInput(options.hue, "hue", 0, [-0.5, 0.5], false),
  };
}

/**
 * torchvision `ColorJitter.get_params`: a random permutation of the four ops first, then one
 * uniform factor for each enabled op in the order brightness, contrast, saturation, hue.
 */
export function colorJitterParams(spans: ColorJitterSpans, rng: Rng): ColorJitterParams {
  const order = rng.shuffle([0, 1, 2, 3]);
  const draw = (s: Span) => (s === null ? null : rng.uniform(s[0], s[1]));
  const brightness = draw(spans.brightness);
  const contrast = draw(spans.contrast);
  const saturation = draw(spans.saturation);
  const hue = draw(spans.hue);
  return { order, brightness, contrast, saturation, hue };
}

/** Applies the ops of one ColorJitter draw in its order (torchvision `ColorJitter.forward`). */
export function applyColorJitter(img: Image, params: ColorJitterParams): Image {
  let out = img;
  for (const op of params.order) {
    if (op === 0 && params.brightness !== null) out = adjustBrightness(out, params.brightness);
    else if (op === 1 && params.contrast !== null) out = adjustContrast(out, params.contrast);
    else if (op === 2 && params.saturation !== null) out = adjustSaturation(out, params.saturation);
    else if (op === 3 && params.hue !== null) out = adjustHue(out, params.hue);
  }
  return out === img ? copyImage(img) : out;
}

/**
 * `torchvision.transforms.ColorJitter(brightness, contrast, saturation, hue)` on RGB images:
 * per call, shuffles the four ops and draws each enabled factor (brightness/contrast/saturation
 * from [max(0, 1 - v), 1 + v], hue from [-v, v] with v <= 0.5), then applies them in that order.
 */
export function colorJitter(options: ColorJitterOptions): Transform {
  const spans = colorJitterSpans(options);
  return (img, rng) => applyColorJitter(img, colorJitterParams(spans, rng));
}
