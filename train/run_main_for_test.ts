/**
 * Test support: runs `deno run -A train/main.ts ...args` as a subprocess and collects its output.
 * @module
 */
const MAIN = new URL("./main.ts", import.meta.url).pathname;

/** The exit code and decoded stdout/stderr of one `train/main.ts` run. */
export async function runMain(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
