import assert from "node:assert/strict";
import { join } from "node:path";
import { extractTarGz } from "./extract_tar.ts";
import { runPython } from "./run_python.ts";

/** Builds a .tar.gz with Python's tarfile in the given format: long names, a folder, a symlink. */
const MAKE_TAR = `
import io, sys, tarfile
out, fmt = sys.argv[1], getattr(tarfile, sys.argv[2])
long_dir = 'd' * 60 + '/' + 'e' * 60
def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
with tarfile.open(out, 'w:gz', format=fmt) as tar:
    folder = tarfile.TarInfo('top/empty')
    folder.type = tarfile.DIRTYPE
    tar.addfile(folder)
    add(tar, 'top/small.txt', b'hello')
    add(tar, 'top/' + long_dir + '/f.bin', bytes(range(256)) * 5 + b'x')
    link = tarfile.TarInfo('top/link')
    link.type = tarfile.SYMTYPE
    link.linkname = '/etc/passwd'
    tar.addfile(link)
    if len(sys.argv) > 3:
        add(tar, sys.argv[3], b'evil')
`;

const LONG = `top/${"d".repeat(60)}/${"e".repeat(60)}/f.bin`;

for (const format of ["GNU_FORMAT", "PAX_FORMAT", "USTAR_FORMAT"]) {
  Deno.test(`extractTarGz extracts a ${format} archive with long names and skips links`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "tar_" });
    try {
      const archive = join(dir, "a.tar.gz");
      await runPython(MAKE_TAR, [archive, format]);
      const out = join(dir, "out");
      const written = await extractTarGz(archive, out);
      assert.deepEqual(written, ["top/small.txt", LONG]);
      assert.equal(await Deno.readTextFile(join(out, "top/small.txt")), "hello");
      const big = await Deno.readFile(join(out, LONG));
      assert.equal(big.length, 1281);
      assert.equal(big[300], 300 % 256);
      assert.ok((await Deno.stat(join(out, "top/empty"))).isDirectory);
      await assert.rejects(Deno.lstat(join(out, "top/link")), Deno.errors.NotFound);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("extractTarGz refuses members that escape the target folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tar_" });
  try {
    for (const evil of ["../evil.txt", "top/../../evil.txt", "/tmp/evil.txt"]) {
      const archive = join(dir, "evil.tar.gz");
      await runPython(MAKE_TAR, [archive, "GNU_FORMAT", evil]);
      await assert.rejects(extractTarGz(archive, join(dir, "out")), /refusing to extract/);
      await assert.rejects(Deno.stat(join(dir, "evil.txt")), Deno.errors.NotFound);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("extractTarGz names the archive when it is corrupt", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tar_" });
  try {
    const archive = join(dir, "a.tar.gz");
    await runPython(MAKE_TAR, [archive, "GNU_FORMAT"]);
    const bytes = await Deno.readFile(archive);
    await Deno.writeFile(archive, bytes.subarray(0, bytes.length >> 1));
    await assert.rejects(extractTarGz(archive, join(dir, "out")), /extracting .*a\.tar\.gz/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
