import { createHash } from "node:crypto";

/** MD5 of a file as lowercase hex, read in chunks. */
export async function md5File(path: string): Promise<string> {
  const hash = createHash("md5");
  const file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Downloads `url` to `dest`, checking the MD5 when `md5` is given. Writes to `dest.part` and
 * renames only after the checksum matches, so an interrupted or corrupt download never looks
 * like a cached file. Errors name the URL.
 */
export async function downloadFile(url: string, dest: string, md5?: string): Promise<void> {
  const part = `${dest}.part`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`download ${url} failed: ${e instanceof Error ? e.message : e}`, { cause: e });
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new Error(`download ${url} failed: HTTP ${response.status} ${response.statusText}`);
  }
  const hash = createHash("md5");
  const file = await Deno.open(part, { write: true, create: true, truncate: true });
  try {
    const writer = file.writable.getWriter();
    for await (const chunk of response.body) {
      hash.update(chunk);
      await writer.write(chunk);
    }
    await writer.close();
  } catch (e) {
    try {
      file.close();
    } catch { /* already closed by the writer */ }
    await Deno.remove(part).catch(() => {});
    throw new Error(`download ${url} failed: ${e instanceof Error ? e.message : e}`, { cause: e });
  }
  const got = hash.digest("hex");
  if (md5 && got !== md5.toLowerCase()) {
    await Deno.remove(part).catch(() => {});
    throw new Error(`download ${url}: MD5 mismatch, expected ${md5.toLowerCase()}, got ${got}`);
  }
  await Deno.rename(part, dest);
}
