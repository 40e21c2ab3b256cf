// Help output in cobra's layout (Corso is a cobra program), printed to stdout.
import { GLOBAL_FLAGS, HELP_FLAG, type FlagSpec } from "./flags.ts";
import type { Group, Leaf, Node } from "./tree.ts";

function flagLines(flags: FlagSpec[]): string {
  const visible = flags.filter((f) => !f.hidden);
  const left = visible.map((f) => {
    const short = f.short ? `  -${f.short}, ` : "      ";
    return `${short}--${f.name}${f.kind === "string" ? " string" : ""}`;
  });
  const width = Math.max(0, ...left.map((l) => l.length));
  return visible
    .map((f, i) => {
      const def = f.kind === "string" && f.display ? ` (default "${f.display}")` : "";
      return `${left[i].padEnd(width)}   ${f.desc}${def}`;
    })
    .join("\n");
}

const helpFor = (name: string): FlagSpec => ({ ...HELP_FLAG, desc: `help for ${name}` });

export function renderHelp(path: string[], node: Node): string {
  const cmdPath = path.join(" ");
  const parts: string[] = [];
  parts.push((node.long ?? node.short) + "\n");
  const isRoot = path.length === 1;
  if (node.kind === "group") {
    const g = node as Group;
    parts.push(`Usage:\n  ${cmdPath} [flags]\n  ${cmdPath} [command]\n`);
    const names = g.children.map((c) => c.name);
    const w = Math.max(11, ...names.map((n) => n.length)) + 2;
    const rows = [...g.children].sort((a, b) => a.name.localeCompare(b.name)).map((c) => `  ${c.name.padEnd(w)}${c.short}`);
    if (isRoot) rows.push(`  ${"help".padEnd(w)}Help about any command`);
    rows.sort();
    parts.push(`Available Commands:\n${rows.join("\n")}\n`);
  } else {
    const l = node as Leaf;
    parts.push(`Usage:\n  ${cmdPath}${l.use ? ` ${l.use}` : ""} [flags]\n`);
    if (l.examples) parts.push(`Examples:\n${l.examples}\n`);
  }
  const local: FlagSpec[] = node.kind === "leaf" ? [...(node as Leaf).flags] : [];
  if (isRoot) {
    local.push(...GLOBAL_FLAGS, helpFor("corso"), { name: "version", short: "v", kind: "bool", desc: "current version info" });
    parts.push(`Flags:\n${flagLines(local)}\n`);
  } else {
    local.push(helpFor(node.name));
    parts.push(`Flags:\n${flagLines(local)}\n`);
    parts.push(`Global Flags:\n${flagLines(GLOBAL_FLAGS)}\n`);
  }
  if (node.kind === "group") parts.push(`Use "${cmdPath} [command] --help" for more information about a command.`);
  return parts.join("\n").replace(/\n*$/, "\n");
}
