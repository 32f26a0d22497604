/**
 * Orders strings by Unicode code points, as Python's `sorted()` does (torchvision sorts class
 * folders this way). JavaScript's default sort compares UTF-16 units, which differs for
 * characters outside the BMP.
 */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}
