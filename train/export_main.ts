/**
 * `deno task export`: re-exports a trained model (a run folder or a checkpoint) as a
 * self-describing ONNX file plus model.json. `--help` lists the flags.
 * @module
 */
import { exportUsage, parseExportArgs, runExport } from "./export/run_export.ts";

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseExportArgs(argv);
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n\n${exportUsage()}`);
    return 2;
  }
  if (args.help) {
    console.log(exportUsage());
    return 0;
  }
  try {
    await runExport(args);
    return 0;
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
