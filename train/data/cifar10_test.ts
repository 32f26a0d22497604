import assert from "node:assert/strict";
import { join } from "node:path";
import { CIFAR10_MD5, CIFAR10_URL, loadCifar10 } from "./cifar10.ts";
import { runPython } from "./run_python.ts";

/**
 * Writes CIFAR-10 binary batches with numpy from HWC images (record = label byte + the image
 * transposed to CHW), the images themselves as expected_hwc.bin, and a .tar.gz of the folder
 * laid out like the official archive. Prints the labels and the archive's MD5.
 */
const MAKE_CIFAR = `
import hashlib, io, json, os, sys, tarfile
import numpy as np
root = sys.argv[1]
d = os.path.join(root, 'cifar-10-batches-bin')
os.makedirs(d)
rs = np.random.RandomState(42)
names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
open(os.path.join(d, 'batches.meta.txt'), 'w').write('\\n'.join(names) + '\\n\\n')
labels, hwc_all = [], []
for name, n in [('data_batch_%d.bin' % i, 3) for i in range(1, 6)] + [('test_batch.bin', 2)]:
    with open(os.path.join(d, name), 'wb') as f:
        for _ in range(n):
            hwc = rs.randint(0, 256, (32, 32, 3)).astype(np.uint8)
            label = int(rs.randint(0, 10))
            f.write(bytes([label]) + hwc.transpose(2, 0, 1).tobytes())
            labels.append(label)
            hwc_all.append(hwc.tobytes())
open(os.path.join(root, 'expected_hwc.bin'), 'wb').write(b''.join(hwc_all))
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w:gz', format=tarfile.GNU_FORMAT) as tar:
    tar.add(d, arcname='cifar-10-batches-bin')
open(os.path.join(root, 'archive.tar.gz'), 'wb').write(buf.getvalue())
print(json.dumps({'labels': labels, 'md5': hashlib.md5(buf.getvalue()).hexdigest()}))
`;

interface Made {
  root: string;
  labels: number[];
  md5: string;
  expected: Uint8Array;
}

async function withCifar(fn: (m: Made) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "cifar_" });
  try {
    const { labels, md5 } = JSON.parse(await runPython(MAKE_CIFAR, [root]));
    const expected = await Deno.readFile(join(root, "expected_hwc.bin"));
    await fn({ root, labels, md5, expected });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Serves `body` at /cifar.tar.gz on 127.0.0.1 and counts requests. */
async function withServer(
  body: Uint8Array,
  fn: (url: string, hits: () => number) => Promise<void>,
) {
  let hits = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    hits++;
    if (new URL(req.url).pathname !== "/cifar.tar.gz") return new Response("no", { status: 404 });
    return new Response(body.slice());
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/cifar.tar.gz`, () => hits);
  } finally {
    await server.shutdown();
  }
}

Deno.test("loadCifar10 reads the binary records as HWC images with their labels", async () => {
  await withCifar(async ({ root, labels, expected }) => {
    const ds = await loadCifar10(root, { download: false });
    assert.deepEqual(ds.classes.slice(0, 3), ["airplane", "automobile", "bird"]);
    assert.equal(ds.classes.length, 10);
    assert.equal(ds.train.length, 15);
    assert.equal(ds.val.length, 2);
    const all = [...ds.train, ...ds.val];
    assert.deepEqual(all.map((s) => s.label), labels);
    for (const [i, s] of all.entries()) {
      const img = await s.load();
      assert.deepEqual([img.width, img.height, img.channels], [32, 32, 3]);
      assert.deepEqual(img.data, expected.subarray(i * 3072, (i + 1) * 3072), s.id);
    }
    assert.match(ds.train[4].id, /data_batch_2\.bin#1$/);
  });
});

Deno.test("loadCifar10 names a batch file that is not whole records", async () => {
  await withCifar(async ({ root }) => {
    const file = join(root, "cifar-10-batches-bin", "data_batch_3.bin");
    const bytes = await Deno.readFile(file);
    await Deno.writeFile(file, bytes.subarray(0, bytes.length - 5));
    await assert.rejects(loadCifar10(root, { download: false }), /data_batch_3\.bin: 9214 bytes/);
    await assert.rejects(
      loadCifar10(join(root, "empty"), { download: false }),
      /no test_batch\.bin/,
    );
  });
});

Deno.test("loadCifar10 downloads, checks the MD5, extracts and then reuses the files", async () => {
  await withCifar(async ({ root, md5, expected }) => {
    const archive = await Deno.readFile(join(root, "archive.tar.gz"));
    await withServer(archive, async (url, hits) => {
      const dir = join(root, "download");
      const ds = await loadCifar10(dir, { url, md5 });
      assert.equal(hits(), 1);
      assert.equal(ds.train.length + ds.val.length, 17);
      assert.deepEqual((await ds.val[1].load()).data, expected.subarray(16 * 3072));
      await loadCifar10(dir, { url, md5 });
      assert.equal(hits(), 1, "second load must use the extracted files");
      // A kept archive with the right MD5 is extracted again without downloading.
      await Deno.remove(join(dir, "cifar-10-batches-bin"), { recursive: true });
      await loadCifar10(dir, { url, md5 });
      assert.equal(hits(), 1);
    });
  });
});

Deno.test("loadCifar10 refuses a download whose MD5 does not match and leaves nothing behind", async () => {
  await withCifar(async ({ root, md5 }) => {
    const archive = await Deno.readFile(join(root, "archive.tar.gz"));
    await withServer(archive, async (url) => {
      const dir = join(root, "bad");
      // The real default MD5 is the published one, which our generated archive cannot match.
      await assert.rejects(
        loadCifar10(dir, { url }),
        new RegExp(`MD5 mismatch, expected ${CIFAR10_MD5}, got ${md5}`),
      );
      assert.deepEqual([...Deno.readDirSync(dir)], []);
      await assert.rejects(
        loadCifar10(dir, { url: url.replace("cifar", "missing"), md5 }),
        /HTTP 404/,
      );
    });
  });
});

Deno.test("CIFAR10_URL and CIFAR10_MD5 are the published binary archive", () => {
  assert.equal(CIFAR10_URL, "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");
  assert.equal(CIFAR10_MD5, "c32a1d4ab5d03f1284b67883e8d87530");
});
