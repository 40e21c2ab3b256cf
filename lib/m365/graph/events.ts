// Exchange calendars and events (spec §3.4): calendars (shared ones flagged), beta events delta
// (with Corso's 503 fallbacks), event fetch from beta with exception occurrences expanded and
// the attachments of the event and of each exception merged in.

import { fetchAttachments } from "./attachments.ts";
import { type DeltaEvent, deltaEvents } from "./delta-pager.ts";
import { GraphError } from "./errors.ts";
import { type GraphHttp, type GraphRequest, seg } from "./http.ts";
import { type FetchedItem, needsAttachmentFetch } from "./item.ts";
import { collect, items, PAGE_SIZE_DELTA, PAGE_SIZE_NON_DELTA, preferPageSize, type GraphObject } from "./pager.ts";

export const EVENT_ID_SELECT = "id";
export const EVENT_LIST_SELECT = "id,lastModifiedDateTime";

export class EventsApi {
  constructor(private readonly http: GraphHttp, private readonly deltaPageSize = PAGE_SIZE_DELTA) {}

  private ex(user: string): Pick<GraphRequest, "service" | "mailbox"> {
    return { service: "exchange", mailbox: user };
  }

  /** The default calendar (`calendars/Calendar` as Corso asks; `/calendar` when that name is unknown). */
  async defaultCalendar(user: string): Promise<GraphObject> {
    try {
      return (await this.http.getJson({ ...this.ex(user), url: `/users/${seg(user)}/calendars/Calendar`, query: { $select: "id,name,owner" } })).json;
    } catch (e) {
      if (!(e instanceof GraphError) || e.kind !== "not-found") throw e;
      return (await this.http.getJson({ ...this.ex(user), url: `/users/${seg(user)}/calendar`, query: { $select: "id,name,owner" } })).json;
    }
  }

  /**
   * All calendars. Corso skips calendars owned by someone else (shared calendars): those come
   * back with `shared: true` so the caller decides; the Graph object is untouched.
   */
  async calendars(user: string): Promise<Array<{ calendar: GraphObject; shared: boolean }>> {
    const def = await this.defaultCalendar(user);
    const owner = ((def.owner as { address?: string } | undefined)?.address ?? "").toLowerCase();
    const cals = await collect(items(this.http, { ...this.ex(user), url: `/users/${seg(user)}/calendars`, prefer: [preferPageSize(PAGE_SIZE_NON_DELTA)] }));
    return cals.map((c) => {
      const addr = ((c.owner as { address?: string } | undefined)?.address ?? "").toLowerCase();
      return { calendar: c, shared: Boolean(owner && addr && addr !== owner) };
    });
  }

  /**
   * Event IDs in one calendar via beta delta. A 503 (Exchange struggling with a big page) is
   * retried with odata.maxpagesize=10, then the non-delta listing is used (a reset).
   */
  async *eventDelta(user: string, calendarId: string, deltaLink?: string): AsyncGenerator<DeltaEvent> {
    const path = `/users/${seg(user)}/calendars/${seg(calendarId)}/events`;
    const fallback: GraphRequest = { ...this.ex(user), url: path, query: { $select: EVENT_LIST_SELECT }, prefer: [preferPageSize(PAGE_SIZE_NON_DELTA)] };
    const fresh = (n: number): GraphRequest => ({ ...this.ex(user), api: "beta", url: `${path}/delta`, query: { $select: EVENT_ID_SELECT }, prefer: [preferPageSize(n)] });
    for (const size of [this.deltaPageSize, 10]) {
      let yielded = false;
      try {
        for await (const ev of deltaEvents(this.http, { deltaLink, fresh: fresh(size), fallback })) {
          yielded = true;
          yield ev;
        }
        return;
      } catch (e) {
        if (yielded || !(e instanceof GraphError) || e.status !== 503) throw e;
      }
    }
    this.http.counters.deltaResets++;
    yield { type: "reset", reason: "503 on events delta" };
    for await (const it of items(this.http, fallback)) yield { type: "page", added: [it], removed: [] };
    yield { type: "end", deltaLink: undefined, reset: true };
  }

  /**
   * The event from beta with `$expand=exceptionOccurrences`; attachments of the event and of
   * every exception occurrence that has any are fetched and merged (Corso stores them inline).
   */
  async getEvent(user: string, eventId: string): Promise<FetchedItem> {
    const { json, raw } = await this.http.getJson({
      ...this.ex(user), api: "beta", url: `/users/${seg(user)}/events/${seg(eventId)}`, query: { $expand: "exceptionOccurrences" },
    });
    const alerts: string[] = [];
    // Corso fetches exception attachments when the *series* has attachments; an exception that
    // says it has its own is fetched too.
    const seriesHas = needsAttachmentFetch(json);
    if (seriesHas) {
      json.attachments = await fetchAttachments(this.http, user, `/users/${seg(user)}/events/${seg(eventId)}`, alerts);
    }
    const exceptions = json.exceptionOccurrences;
    if (Array.isArray(exceptions)) {
      for (const ex of exceptions as GraphObject[]) {
        if (typeof ex?.id !== "string" || !(seriesHas || needsAttachmentFetch(ex))) continue;
        ex.attachments = await fetchAttachments(this.http, user, `/users/${seg(user)}/events/${seg(ex.id)}`, alerts);
      }
    }
    return { id: eventId, json, raw, alerts };
  }
}
