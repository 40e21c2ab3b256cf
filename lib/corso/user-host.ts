// kopia's default client identity (repo/userhost.go): the OS user name (domain stripped on
// Windows) and the host name lower-cased up to its first dot. Corso's maintenance owner is
// "<user>@<host>" built from these unless --user/--host or corso_user/corso_host override them.
import { readFileSync } from "node:fs";
import { hostname, userInfo } from "node:os";

/** Go's os/user on Unix: the /etc/passwd entry of the current uid. */
function passwdName(uid: number): string {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const f = line.split(":");
      if (f.length >= 3 && Number(f[2]) === uid && f[0]) return f[0];
    }
  } catch {
    /* no passwd file */
  }
  return "";
}

export function defaultUserName(): string {
  let u = "";
  if (process.platform !== "win32" && typeof process.getuid === "function") u = passwdName(process.getuid());
  if (!u) {
    try {
      // Bun reports "unknown" when it cannot resolve the name.
      const n = userInfo().username;
      if (n && n !== "unknown") u = n;
    } catch {
      /* ignore */
    }
  }
  if (!u) u = process.env.USER || process.env.USERNAME || "";
  if (process.platform === "win32") {
    const p = u.indexOf("\\");
    if (p >= 0) u = u.slice(p + 1);
  }
  return u || "nobody";
}

export function defaultHostName(): string {
  try {
    return hostname().split(".")[0].toLowerCase() || "nohost";
  } catch {
    return "nohost";
  }
}
