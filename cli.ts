#!/usr/bin/env bun
// corso: the command line. All logic lives in lib/cli/ (the cac-based parser and the command
// tree in lib/cli/tree.ts); command implementations are imported lazily by each action.
import { runCli } from "./lib/cli/main.ts";

const code = await runCli(process.argv.slice(2));
process.exit(code);
