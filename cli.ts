#!/usr/bin/env bun
// corso: the command line. All logic lives in lib/cli/ (the cac-based parser and the command
// tree in lib/cli/tree.ts); command implementations are imported lazily by each action.
// (No top-level await: keeps the entry compatible with bytecode compilation.)
import { runCli } from "./lib/cli/main.ts";

runCli(process.argv.slice(2)).then((code) => process.exit(code));
