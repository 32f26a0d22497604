/**
 * `deno task train`: trains a CNN with TensorFlow.js and exports ONNX.
 *
 * With no flags: SimpleCNN on the built-in synthetic wafer maps. `--help` lists every flag;
 * precedence is defaults < `--config file.json` < flags. Ctrl-C stops at the next batch, saves
 * `checkpoints/last` and writes the reports; `--resume runs/<name>` continues exactly there.
 *
 * @module
 */
import { resolveConfig, usage } from "./config.ts";
import { train } from "./trainer.ts";

async function main(argv: string[]): Promise<number> {
  let resolved;
  try {
    resolved = await resolveConfig(argv);
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    console.error("run 'deno task train --help' for the flags");
    return 2;
  }
  if (resolved.help) {
    console.log(usage());
    return 0;
  }
  const { config, resume } = resolved;

  // First Ctrl-C: finish the current batch, save, write reports. Second: leave at once (the
  // previous checkpoint is intact thanks to atomic writes).
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) {
      console.error("\nsecond interrupt: exiting without saving");
      Deno.exit(130);
    }
    console.error("\ninterrupt: stopping after this batch (Ctrl-C again to quit now)");
    stop.abort();
  };
  Deno.addSignalListener("SIGINT", onSigint);
  try {
    const t0 = performance.now();
    const result = await train(config, { resume, signal: stop.signal });
    const minutes = ((performance.now() - t0) / 60000).toFixed(2);
    console.log(
      `run: ${result.runDir} (${result.status}, ${minutes} min, backend ${result.backend})`,
    );
    if (result.modelPath) console.log(`model: ${result.modelPath}`);
    if (result.status === "interrupted") {
      console.log(`resume with: deno task train --resume ${result.runDir}`);
      return 130;
    }
    return 0;
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
