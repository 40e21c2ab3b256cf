// kopia's default client identity (repo/userhost.go): the OS user name (domain stripped on
// Windows) and the host name lower-cased up to its first dot. Corso's maintenance owner is
// "<user>@<host>" built from these unless --user/--host or corso_user/corso_host override them.
import { hostname, userInfo } from "node:os";

export function defaultUserName(): string {
  try {
    let u = userInfo().username;
    if (process.platform === "win32") {
      const p = u.indexOf("\\");
      if (p >= 0) u = u.slice(p + 1);
    }
    return u || "nobody";
  } catch {
    return "nobody";
  }
}

export function defaultHostName(): string {
  try {
    return hostname().split(".")[0].toLowerCase() || "nohost";
  } catch {
    return "nohost";
  }
}
