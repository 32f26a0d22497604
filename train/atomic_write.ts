import { dirname } from "node:path";

/**
 * Writes `data` to `path` so that a reader (or a crash at any moment) sees either the old file or
 * the complete new one, never a torn mix: write a temporary file beside the target, fsync it,
 * rename it over the target (atomic on POSIX within one filesystem), then fsync the directory so
 * the rename itself survives a power loss.
 */
export async function atomicWrite(path: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  // pid + random suffix: two writers of the same target never share a temp file
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  await syncDir(dir);
}

/** Writes `value` as pretty JSON (with a trailing newline) atomically. */
export function atomicWriteJson(path: string, value: unknown): Promise<void> {
  return atomicWrite(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Removes the temporary files that `atomicWrite` left under `dir` (and up to `depth` folder
 * levels below) when its process was killed mid-write: `<name>.tmp-<pid>-<id>` whose pid is no
 * running process. Returns the removed paths. Without /proc (not Linux) it cannot tell whether
 * the writer still runs, so it removes nothing.
 */
export async function removeStaleTemps(dir: string, depth = 2): Promise<string[]> {
  if (!await isDir("/proc/self")) return [];
  const removed: string[] = [];
  const walk = async (d: string, left: number) => {
    for await (const entry of Deno.readDir(d)) {
      const path = `${d}/${entry.name}`;
      if (entry.isDirectory && left > 0) await walk(path, left - 1);
      const m = /\.tmp-(\d+)-[0-9a-f]{8}$/.exec(entry.name);
      if (!entry.isFile || m === null) continue;
      const pid = Number(m[1]);
      if (pid === Deno.pid || await isDir(`/proc/${pid}`)) continue;
      await Deno.remove(path).catch(() => {}); // another resumer may have removed it first
      removed.push(path);
    }
  };
  await walk(dir, depth);
  return removed.sort();
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

async function syncDir(dir: string): Promise<void> {
  // Directory fsync is a Linux/macOS durability nicety; some filesystems refuse it, which is harmless.
  try {
    const d = await Deno.open(dir, { read: true });
    try {
      await d.sync();
    } finally {
      d.close();
    }
  } catch {
    // ignored on purpose, see above
  }
}
