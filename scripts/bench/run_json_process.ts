/**
 * Runs a peer process (Python, Node) that takes a JSON spec file and prints one JSON object.
 * @module
 */

/**
 * Writes `spec` to a temp file, runs `cmd args... <specPath>`, and parses its stdout (or its
 * last line) as JSON.
 * Throws an Error naming the command and carrying its stderr tail when it fails.
 */
export async function runJsonProcess<T>(
  cmd: string,
  args: string[],
  spec: unknown,
  env: Record<string, string> = {},
): Promise<T> {
  const specPath = await Deno.makeTempFile({ prefix: "bench_spec_", suffix: ".json" });
  try {
    await Deno.writeTextFile(specPath, JSON.stringify(spec));
    const out = await new Deno.Command(cmd, {
      args: [...args, specPath],
      stdout: "piped",
      stderr: "piped",
      env,
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    if (!out.success) {
      throw new Error(
        `${cmd} ${args.join(" ")} failed (exit ${out.code}):\n${stderr.slice(-2000)}`,
      );
    }
    const stdout = new TextDecoder().decode(out.stdout);
    // Libraries may print banners first (tfjs does): the JSON is the whole output or its last line.
    const last = stdout.trim().split("\n").pop() ?? "";
    for (const text of [stdout, last]) {
      try {
        return JSON.parse(text) as T;
      } catch { /* try the next form */ }
    }
    throw new Error(
      `${cmd} ${args.join(" ")} printed no JSON:\n${stdout.slice(-500)}\n${stderr.slice(-1000)}`,
    );
  } finally {
    await Deno.remove(specPath).catch(() => {});
  }
}
