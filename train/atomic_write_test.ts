import assert from "node:assert/strict";
import { atomicWrite, atomicWriteJson, removeStaleTemps } from "./atomic_write.ts";

Deno.test("atomicWrite creates folders, replaces content and leaves no temp files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edgeclass_atomic_" });
  try {
    const path = `${dir}/a/b/file.bin`;
    await atomicWrite(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    await atomicWrite(path, "hello");
    assert.equal(await Deno.readTextFile(path), "hello");
    await atomicWriteJson(`${dir}/x.json`, { a: 1 });
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/x.json`)), { a: 1 });
    const names = [...Deno.readDirSync(`${dir}/a/b`)].map((e) => e.name);
    assert.deepEqual(names, ["file.bin"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("atomicWrite leaves the old or the new file, never a torn one, when killed (SIGKILL)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edgeclass_atomic_kill_" });
  try {
    const target = `${dir}/ckpt.bin`;
    // two contents of different sizes and bytes: any mix or truncation is detectable
    const sizeA = 3 << 20, sizeB = (2 << 20) + 123;
    const writer = `${dir}/writer.ts`;
    await Deno.writeTextFile(
      writer,
      `import { atomicWrite } from ${
        JSON.stringify(new URL("./atomic_write.ts", import.meta.url).href)
      };
const a = new Uint8Array(${sizeA}).fill(97), b = new Uint8Array(${sizeB}).fill(98);
await atomicWrite(${JSON.stringify(target)}, a);
console.log("ready");
for (let i = 0; ; i++) await atomicWrite(${JSON.stringify(target)}, i % 2 ? a : b);
`,
    );
    for (let round = 0; round < 4; round++) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-lock", writer],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const reader = child.stdout.getReader();
      const { value } = await reader.read(); // "ready": the first complete file exists
      assert.match(new TextDecoder().decode(value), /ready/);
      await new Promise((r) => setTimeout(r, 30 + round * 45));
      child.kill("SIGKILL");
      await child.status;
      reader.releaseLock();
      await child.stdout.cancel();
      const bytes = await Deno.readFile(target);
      const ok = (bytes.length === sizeA && bytes.every((x) => x === 97)) ||
        (bytes.length === sizeB && bytes.every((x) => x === 98));
      assert.ok(ok, `round ${round}: file has ${bytes.length} bytes, not exactly A or B`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("removeStaleTemps removes temp files of dead writers only, down to checkpoints/<which>", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edgeclass_stale_tmp_" });
  try {
    // a pid that surely ended: a child process we waited for
    const child = new Deno.Command("true").spawn();
    await child.status;
    const dead = child.pid;
    const files: [string, boolean][] = [
      // path, removed?
      [`history.json.tmp-${dead}-0123abcd`, true],
      [`checkpoints/last/checkpoint.bin.tmp-${dead}-89abcdef`, true],
      [`checkpoints/best/checkpoint.bin.tmp-${Deno.pid}-89abcdef`, false], // our own writer
      [`checkpoints/best/checkpoint.bin`, false],
      [`notes.tmp-${dead}-xyz`, false], // not atomicWrite's pattern
      [`a/b/c/deep.tmp-${dead}-0123abcd`, false], // deeper than the run layout
    ];
    for (const [path] of files) {
      await Deno.mkdir(`${dir}/${path}`.replace(/\/[^/]+$/, ""), { recursive: true });
      await Deno.writeFile(`${dir}/${path}`, new Uint8Array(3));
    }
    const removed = await removeStaleTemps(dir);
    assert.deepEqual(removed, files.filter(([, r]) => r).map(([p]) => `${dir}/${p}`).sort());
    for (const [path, gone] of files) {
      const exists = await Deno.stat(`${dir}/${path}`).then(() => true, () => false);
      assert.equal(exists, !gone, path);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
