// `emotionthinker export-onnx`: writes a model's reasoning policy as an ONNX graph
// (src/train/policy-onnx.ts; inputs and outputs in docs/policy-export.md).
import { Option, type Command } from 'commander';

interface Helpers {
  /** cli.ts's error printer (message + code, exit status). */
  fail: (cmd: string, err: unknown) => void;
  /** cli.ts's --force guard for output files. */
  guardOutput: (cmd: string, out: string, force?: boolean, inputs?: readonly string[]) => boolean;
}

interface Options {
  model?: string;
  out: string;
  input: 'features' | 'standardized';
  scoreInput?: boolean;
  force?: boolean;
}

export function registerExportOnnx(program: Command, { fail, guardOutput }: Helpers): void {
  program
    .command('export-onnx')
    .description('export a model\'s reasoning policy to ONNX (claims and emotion, as analyze decodes them)')
    .option('--model <file>', 'model JSON (default: the bundled model)')
    .requiredOption('--out <file>', '.onnx file to write')
    .addOption(
      new Option('--input <kind>', 'graph input: raw "features" + "gender" (standardised inside), or the "standardized" policy vector "x"')
        .choices(['features', 'standardized'])
        .default('features'),
    )
    .option('--score-input', 'add the "force" input (int64 [batch, 5], -1 = decode) to score given claims and emotions')
    .option('--force', 'overwrite --out')
    .action(async (opts: Options) => {
      if (!guardOutput('export-onnx', opts.out, opts.force, opts.model ? [opts.model] : [])) return;
      try {
        // Loaded on use: the exporter pulls in protobufjs, which the other commands do not need.
        const { defaultModel, loadModel } = await import('../inference/model.js');
        const { writePolicyOnnx, POLICY_ONNX_OUTPUTS } = await import('../train/policy-onnx.js');
        const model = opts.model ? loadModel(opts.model) : defaultModel();
        writePolicyOnnx(model, opts.out, { input: opts.input, forceInput: !!opts.scoreInput });
        const inputs = [...(opts.input === 'features' ? ['features', 'gender'] : ['x']), ...(opts.scoreInput ? ['force'] : [])];
        process.stdout.write(JSON.stringify({ out: opts.out, input: opts.input, inputs, outputs: POLICY_ONNX_OUTPUTS }) + '\n');
        process.stderr.write(`export-onnx: wrote ${opts.out}\n`);
      } catch (err) {
        fail('export-onnx', err);
      }
    });
}
