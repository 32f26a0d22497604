/**
 * Test fixture: small images written by Pillow at test time (solid colours in several formats,
 * broken files, a decompression-bomb header), and the paths of real photos that ship with
 * Debian's python3-skimage. Used by tests only.
 * @module
 */

/** Real photos (PNG) from python3-skimage, for parity tests. */
export const SKIMAGE_DATA = "/usr/lib/python3/dist-packages/skimage/data";
export const REAL_PHOTOS = ["astronaut.png", "chelsea.png", "coffee.png"].map((f) =>
  `${SKIMAGE_DATA}/${f}`
);

const MAKE_IMAGES = `
import sys, struct, zlib
from PIL import Image
d = sys.argv[1]
Image.new("RGB", (40, 30), (230, 20, 20)).save(f"{d}/red.png")
Image.new("RGB", (33, 47), (20, 20, 230)).save(f"{d}/blue.png")
Image.new("RGB", (64, 64), (20, 220, 30)).save(f"{d}/green.jpg", quality=95)
Image.new("RGB", (20, 20), (10, 10, 10)).save(f"{d}/dark.gif")
Image.new("RGBA", (24, 24), (250, 250, 250, 255)).save(f"{d}/light_rgba.png")
good = open(f"{d}/red.png", "rb").read()
open(f"{d}/truncated.png", "wb").write(good[: len(good) // 2])
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
ihdr = struct.pack(">IIBBBBB", 65535, 65535, 8, 2, 0, 0, 0)
open(f"{d}/bomb.png", "wb").write(b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\\0" * 64)) + chunk(b"IEND", b""))
open(f"{d}/text.txt", "wb").write(b"hello, I am not an image\\n" * 4)
open(f"{d}/page.svg", "wb").write(b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')
`;

/** Writes the fixture images into `dir`; returns name -> path. */
export async function makeTestImages(dir: string): Promise<Record<string, string>> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", MAKE_IMAGES, dir],
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const names = [
    "red.png",
    "blue.png",
    "green.jpg",
    "dark.gif",
    "light_rgba.png",
    "truncated.png",
    "bomb.png",
    "text.txt",
    "page.svg",
  ];
  return Object.fromEntries(names.map((n) => [n.replace(/\.\w+$/, ""), `${dir}/${n}`]));
}
