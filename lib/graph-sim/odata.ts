// OData bits Graph clients rely on: $select projection, a $filter evaluator for the clauses Corso sends,
// Prefer parsing and the error envelope.

import type { GraphObject } from "./types.ts";

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly innerCode?: string,
  ) {
    super(message);
  }
}

export function errorBody(e: { code: string; message: string; innerCode?: string }, requestId: string, clientRequestId: string): GraphObject {
  const inner: GraphObject = { date: new Date().toISOString().replace(/\.\d{3}Z$/, ""), "request-id": requestId, "client-request-id": clientRequestId };
  if (e.innerCode) inner.code = e.innerCode;
  return { error: { code: e.code, message: e.message, innerError: inner } };
}

// Properties a projection always keeps, like Graph does.
const ALWAYS = new Set(["id", "@odata.type", "@odata.etag", "@removed", "@odata.id"]);

export function parseSelect(q: URLSearchParams): string[] | undefined {
  const s = q.get("$select") ?? q.get("select");
  if (!s) return undefined;
  return s.split(",").map((x) => x.trim()).filter(Boolean);
}

export function project(obj: GraphObject, select: string[] | undefined): GraphObject {
  if (!select) return obj;
  const want = new Set(select.map((s) => s.toLowerCase()));
  const out: GraphObject = {};
  for (const [k, v] of Object.entries(obj)) {
    const lk = k.toLowerCase();
    if (ALWAYS.has(k) || want.has(lk)) out[k] = v;
    else if (k === "@microsoft.graph.downloadUrl" && (want.has("content.downloadurl") || want.has("@microsoft.graph.downloadurl"))) out[k] = v;
    else if (k.includes("@odata.") && want.has(lk.split("@")[0]!)) out[k] = v;
  }
  return out;
}

export function parsePrefer(h: string | null): { maxPageSize?: number; immutableId: boolean; values: string[] } {
  const values = (h ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  let maxPageSize: number | undefined;
  let immutableId = false;
  for (const v of values) {
    const m = /^odata\.maxpagesize\s*=\s*(\d+)$/i.exec(v);
    if (m) maxPageSize = Number(m[1]);
    if (/^IdType\s*=\s*"?ImmutableId"?$/i.test(v)) immutableId = true;
  }
  return { maxPageSize, immutableId, values };
}

// ---------------------------------------------------------------------------------------------
// $filter: eq ne gt ge lt le, and/or/not, parentheses, startswith/endswith/contains, x/any(a:a eq 'v')
// ---------------------------------------------------------------------------------------------

type Tok = { t: "id" | "str" | "num" | "op" | "(" | ")" | "," | ":"; v: string };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let v = "";
      i++;
      for (;;) {
        if (i >= s.length) throw new GraphError(400, "BadRequest", "Invalid filter clause: unterminated string literal.");
        if (s[i] === "'") {
          if (s[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += s[i++];
      }
      out.push({ t: "str", v });
    } else if (c === "(" || c === ")" || c === "," || c === ":") {
      out.push({ t: c, v: c });
      i++;
    } else if (/[0-9-]/.test(c)) {
      let v = "";
      while (i < s.length && /[0-9.\-:TZ]/.test(s[i]!)) v += s[i++];
      out.push({ t: "num", v });
    } else if (/[A-Za-z_@$]/.test(c)) {
      let v = "";
      while (i < s.length && /[A-Za-z0-9_@$./]/.test(s[i]!)) v += s[i++];
      const lv = v.toLowerCase();
      if (["eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not"].includes(lv)) out.push({ t: "op", v: lv });
      else out.push({ t: "id", v });
    } else throw new GraphError(400, "BadRequest", `Invalid filter clause: unexpected '${c}'.`);
  }
  return out;
}

type Node =
  | { k: "lit"; v: unknown }
  | { k: "path"; p: string }
  | { k: "bin"; op: string; a: Node; b: Node }
  | { k: "not"; a: Node }
  | { k: "fn"; name: string; args: Node[] }
  | { k: "any"; p: string; v: string; body: Node };

export interface Filter {
  eval(obj: GraphObject): boolean;
  /** Operators used (Graph requires ConsistencyLevel: eventual for some). */
  ops: Set<string>;
  props: Set<string>;
}

export function parseFilter(s: string): Filter {
  const toks = tokenize(s);
  let i = 0;
  const ops = new Set<string>();
  const props = new Set<string>();
  const peek = () => toks[i];
  const eat = (t: string, v?: string) => {
    const x = toks[i];
    if (!x || x.t !== t || (v && x.v !== v)) throw new GraphError(400, "BadRequest", `Invalid filter clause: syntax error at position ${i} in '${s}'.`);
    i++;
    return x;
  };
  const parseOr = (): Node => {
    let a = parseAnd();
    while (peek()?.t === "op" && peek()!.v === "or") {
      i++;
      a = { k: "bin", op: "or", a, b: parseAnd() };
    }
    return a;
  };
  const parseAnd = (): Node => {
    let a = parseUnary();
    while (peek()?.t === "op" && peek()!.v === "and") {
      i++;
      a = { k: "bin", op: "and", a, b: parseUnary() };
    }
    return a;
  };
  const parseUnary = (): Node => {
    if (peek()?.t === "op" && peek()!.v === "not") {
      i++;
      return { k: "not", a: parseUnary() };
    }
    const a = parseValue();
    const p = peek();
    if (p?.t === "op" && ["eq", "ne", "gt", "ge", "lt", "le"].includes(p.v)) {
      i++;
      ops.add(p.v);
      return { k: "bin", op: p.v, a, b: parseValue() };
    }
    return a;
  };
  const parseValue = (): Node => {
    const x = toks[i];
    if (!x) throw new GraphError(400, "BadRequest", `Invalid filter clause: unexpected end of '${s}'.`);
    if (x.t === "(") {
      i++;
      const n = parseOr();
      eat(")");
      return n;
    }
    if (x.t === "str") {
      i++;
      return { k: "lit", v: x.v };
    }
    if (x.t === "num") {
      i++;
      return { k: "lit", v: /^-?\d+(\.\d+)?$/.test(x.v) ? Number(x.v) : x.v };
    }
    if (x.t === "id") {
      i++;
      const lv = x.v.toLowerCase();
      if (lv === "true" || lv === "false") return { k: "lit", v: lv === "true" };
      if (lv === "null") return { k: "lit", v: null };
      if (peek()?.t === "(") {
        if (/\/(any|all)$/i.test(x.v)) {
          const p = x.v.replace(/\/(any|all)$/i, "");
          props.add(p.split("/")[0]!);
          ops.add("any");
          eat("(");
          const v = eat("id").v;
          eat(":");
          const body = parseOr();
          eat(")");
          return { k: "any", p, v, body };
        }
        eat("(");
        const args: Node[] = [];
        if (peek()?.t !== ")") {
          args.push(parseOr());
          while (peek()?.t === ",") {
            i++;
            args.push(parseOr());
          }
        }
        eat(")");
        ops.add(lv);
        return { k: "fn", name: lv, args };
      }
      props.add(x.v.split("/")[0]!);
      return { k: "path", p: x.v };
    }
    throw new GraphError(400, "BadRequest", `Invalid filter clause: unexpected '${x.v}'.`);
  };
  const root = parseOr();
  if (i !== toks.length) throw new GraphError(400, "BadRequest", `Invalid filter clause: trailing tokens in '${s}'.`);

  const get = (obj: unknown, p: string, scope: Map<string, unknown>): unknown => {
    const parts = p.split("/");
    let cur: unknown = scope.has(parts[0]!) ? scope.get(parts[0]!) : obj;
    const rest = scope.has(parts[0]!) ? parts.slice(1) : parts;
    for (const seg of rest) {
      if (cur === null || typeof cur !== "object") return undefined;
      const o = cur as Record<string, unknown>;
      const key = Object.keys(o).find((k) => k.toLowerCase() === seg.toLowerCase());
      cur = key === undefined ? undefined : o[key];
    }
    return cur;
  };
  const norm = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);
  const ev = (n: Node, obj: unknown, scope: Map<string, unknown>): unknown => {
    switch (n.k) {
      case "lit":
        return n.v;
      case "path":
        return get(obj, n.p, scope);
      case "not":
        return !ev(n.a, obj, scope);
      case "any": {
        const arr = get(obj, n.p, scope);
        if (!Array.isArray(arr)) return false;
        return arr.some((el) => ev(n.body, obj, new Map(scope).set(n.v, el)));
      }
      case "fn": {
        const [a, b] = n.args.map((x) => ev(x, obj, scope));
        const sa = String(a ?? "").toLowerCase();
        const sb = String(b ?? "").toLowerCase();
        if (n.name === "startswith") return a != null && sa.startsWith(sb);
        if (n.name === "endswith") return a != null && sa.endsWith(sb);
        if (n.name === "contains") return a != null && sa.includes(sb);
        if (n.name === "tolower") return sa;
        throw new GraphError(400, "BadRequest", `Invalid filter clause: unknown function '${n.name}'.`);
      }
      case "bin": {
        if (n.op === "and") return !!ev(n.a, obj, scope) && !!ev(n.b, obj, scope);
        if (n.op === "or") return !!ev(n.a, obj, scope) || !!ev(n.b, obj, scope);
        const a = norm(ev(n.a, obj, scope) ?? null);
        const b = norm(ev(n.b, obj, scope) ?? null);
        switch (n.op) {
          case "eq":
            return a === b;
          case "ne":
            return a !== b;
          case "gt":
            return (a as number) > (b as number);
          case "ge":
            return (a as number) >= (b as number);
          case "lt":
            return (a as number) < (b as number);
          case "le":
            return (a as number) <= (b as number);
        }
      }
    }
    return false;
  };
  return { eval: (obj) => !!ev(root, obj, new Map()), ops, props };
}
