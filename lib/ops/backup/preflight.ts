// A mailbox's first Graph round trips — is Exchange enabled, and the first category's folders —
// need nothing from the repository. Started together, and (for concurrent mailboxes) as soon as
// the mailboxes are known, they overlap each other and the repository connect (the passphrase
// KDF alone is ~0.1–0.2 s) instead of costing two serial round trips per mailbox before its
// first delta. Their results are only awaited where the serial calls used to be, so errors
// surface in the same order; an unused listing is dropped (its rejection is handled here).
import type { ExchangeCategory } from "../../corso/path.ts";
import { EXCHANGE_CATEGORIES } from "../../corso/path.ts";
import type { GraphClient } from "../../m365/graph/index.ts";
import { type Container, enumerateContainers } from "./containers.ts";

export interface MailboxPreflight {
  category: ExchangeCategory;
  enabled: Promise<boolean>;
  containers: Promise<Container[]>;
}

/** The category a mailbox's backup starts with (categories are processed sorted). */
export function firstCategory(categories: readonly string[]): ExchangeCategory {
  const cats = (categories.length ? [...new Set(categories)] : [...EXCHANGE_CATEGORIES]).sort();
  return cats[0] as ExchangeCategory;
}

export function startPreflight(graph: GraphClient, user: string, category: ExchangeCategory): MailboxPreflight {
  const enabled = graph.discovery.mailboxEnabled(user);
  const containers = enumerateContainers(graph, user, category);
  // awaited later, or never (mailbox not enabled, run interrupted): never unhandled
  enabled.catch(() => {});
  containers.catch(() => {});
  return { category, enabled, containers };
}
