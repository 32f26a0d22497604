/**
 * Test support: runs the system Python (`/usr/bin/python3`, which has torch and torchvision),
 * returning stdout; a non-zero exit throws with stderr, so a broken reference fails the test
 * instead of comparing against nothing.
 * @module
 */

/** The interpreter with torch 1.13 / torchvision 0.14 (the pyenv `python3` has no packages). */
export const SYSTEM_PYTHON = "/usr/bin/python3";

/** Runs `python3 args...` with the repository root as working directory; returns stdout. */
export async function runPython(args: string[], stdin?: string): Promise<string> {
  const root = new URL("../../", import.meta.url).pathname;
  const cmd = new Deno.Command(SYSTEM_PYTHON, {
    args,
    cwd: root,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { PYTHONDONTWRITEBYTECODE: "1", OMP_NUM_THREADS: "1" },
  });
  const child = cmd.spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `${SYSTEM_PYTHON} ${args.join(" ")} failed (${out.code}):\n${dec.decode(out.stderr)}`,
    );
  }
  return dec.decode(out.stdout);
}
