/**
 * Test support: the Python references (torch 1.13, numpy, onnx, Pillow from Debian) as a
 * function. Debian's `/usr/bin/python3` is named on purpose: a `python3` earlier on PATH (pyenv)
 * lacks those packages.
 *
 * @module
 */

/**
 * Runs `code` with /usr/bin/python3, `input` as JSON on its stdin, and returns its stdout
 * parsed as JSON. Throws with Python's stderr if it exits non-zero.
 *
 * @param pythonArgs interpreter flags before `-c` (e.g. `["-W", "ignore"]`)
 */
export async function runPythonJson(
  code: string,
  input: unknown,
  pythonArgs: string[] = [],
): Promise<unknown> {
  const child = new Deno.Command("/usr/bin/python3", {
    args: [...pythonArgs, "-c", code],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(input)));
  await w.close();
  const out = await child.output();
  if (!out.success) throw new Error(`python failed:\n${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
