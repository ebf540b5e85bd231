// A command line with only the `proxy` subcommand, for running the proxy as a child process in tests.
import { Command } from "commander";
import { registerProxyCommand } from "../../../provider/src/cli/proxy-command";

const program = new Command("istio-gateway");
registerProxyCommand(program);
void program.parseAsync(process.argv.slice(2), { from: "user" });
