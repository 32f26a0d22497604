/**
 * Test helper: runs `code` with the system Python (torch, torchvision, Pillow, numpy) and returns
 * its stdout; throws with stderr when it fails. Tests use it to get independent reference values.
 */
export async function runPython(code: string, args: string[] = []): Promise<string> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", code, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`python failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}
