/**
 * The `istio-gateway` command line: `validate` and `analyze` (like `istioctl validate` and
 * `istioctl analyze`) and `proxy` (the gateway, run locally). Exit codes: 0 no errors (warnings
 * allowed), 1 errors found, 2 usage, I/O or parse error.
 */
import { Command, CommanderError, Option } from "commander";
import { checkInputs } from "./check";
import { registerDemoCommand } from "./demo-command";
import { readAll, readInputs } from "./inputs";
import { registerProxyCommand } from "./proxy-command";
import { countBySeverity, formatErrors, formatJson, formatText } from "./output";

/** Where the command reads and writes; tests pass their own. */
export interface CommandIO {
  /** Standard output. */
  stdout: (text: string) => void;
  /** Standard error. */
  stderr: (text: string) => void;
  /** All of standard input (for `-`). */
  stdin: () => Promise<string>;
}

/** Exit codes of the contract. */
export const ExitCode = { OK: 0, FINDINGS: 1, USAGE: 2 } as const;

const processIO: CommandIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdin: () => readAll(process.stdin),
};

interface CheckFlags {
  format: "text" | "json";
  strict?: boolean;
}

/** Runs the command with `argv` (without node and the script) and resolves to the exit code. */
export async function main(argv: string[], io: CommandIO = processIO): Promise<number> {
  let exitCode: number = ExitCode.OK;
  const program = new Command("istio-gateway")
    .description("Check Istio Gateway and VirtualService configuration, and run it as a gateway")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();

  const addCheck = (name: "validate" | "analyze", description: string): void => {
    program
      .command(name)
      .description(description)
      .argument("<inputs...>", "files, directories (*.yaml, *.yml, *.json, recursively) or - for stdin")
      .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
      .option("--strict", "report as errors the warnings that silently break traffic")
      .action(async (inputs: string[], flags: CheckFlags) => {
        exitCode = await runCheck(inputs, flags, name === "analyze", io);
      });
  };
  addCheck("validate", "check each resource on its own, like istioctl validate");
  addCheck("analyze", "check each resource and how they fit together, like istioctl analyze");
  registerProxyCommand(program);
  registerDemoCommand(program);

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version print and succeed; every other parse failure is a usage error.
      return e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    io.stderr(`istio-gateway: ${e instanceof Error ? e.message : String(e)}\n`);
    return ExitCode.USAGE;
  }
  return exitCode;
}

async function runCheck(
  paths: string[],
  flags: CheckFlags,
  analyze: boolean,
  io: CommandIO,
): Promise<number> {
  const { inputs, errors: inputErrors } = await readInputs(paths, io.stdin);
  const report = checkInputs(inputs, { analyze, strict: flags.strict === true });
  io.stderr(formatErrors(report, inputErrors));
  const unread = inputErrors.length + report.syntaxErrors.length;
  io.stdout(flags.format === "json" ? formatJson(report) : formatText(report, unread));
  if (unread > 0) return ExitCode.USAGE;
  return countBySeverity(report.findings.map((f) => f.issue)).errors > 0 ? ExitCode.FINDINGS : ExitCode.OK;
}
