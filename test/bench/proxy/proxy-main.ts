// A command line with only the `proxy` subcommand, for proxy.sh while the main command line does
// not list it yet. Run with `node --import tsx`; node:cluster workers re-run this file the same way.
import { Command } from "commander";
import { registerProxyCommand } from "../../../provider/src/cli/proxy-command";

const program = new Command("istio-gateway");
registerProxyCommand(program);
void program.parseAsync(process.argv.slice(2), { from: "user" });
