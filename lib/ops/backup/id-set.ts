// Compact per-folder item ID maps for the Exchange backup. A folder's delta listing yields every
// item ID (Graph IDs are ~150 characters) with its modification time; as JS strings in a Map
// that is ~300 bytes per item, times three folders in flight — tens of MB for 100,000-item
// folders. Here the IDs are UTF-8 bytes in one growing arena, the values are float64s and the
// lookup table is an open-addressing array of indexes: about (ID length + 25) bytes per item.
// Lookups hash the ID and then compare the stored bytes exactly, so two IDs with the same hash
// are simply two entries: nothing is ever dropped or merged on a hash collision.

const EMPTY = 0;
const MAX_ARENA = 2 ** 32 - 1;

/** FNV-1a over bytes (the table's hash; collisions are resolved by exact byte comparison). */
function fnv1a(b: Uint8Array, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) {
    h ^= b[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * An insertion-ordered map from ID strings to a number (NaN when absent), with Map's semantics:
 * `set` of a present key keeps its place, `delete` then `set` moves it to the end, `clear`
 * empties it. Each entry also has a small state byte for the caller (e.g. "carried over").
 * Entries are addressed by index (stable until `clear`); `indexes()` lists the live ones in
 * insertion order.
 */
export class IdMap {
  private arena = new Uint8Array(1024);
  private arenaUsed = 0;
  /** Start of entry i's bytes in the arena; entry i ends at starts[i + 1]. */
  private starts = new Uint32Array(65);
  private hashes = new Uint32Array(64);
  private vals = new Float64Array(64);
  /** Bit 0: deleted; bits 1..7: the caller's state. */
  private flags = new Uint8Array(64);
  /** Slot → entry index + 1 (0 = empty). Always at most half full. */
  private table = new Int32Array(128);
  private n = 0;
  private live = 0;
  private scratch = new Uint8Array(256);
  private readonly enc = new TextEncoder();
  private readonly dec = new TextDecoder();

  /** Number of live entries. */
  get size(): number {
    return this.live;
  }

  /** Number of entries ever added since the last clear (live or deleted): the index bound. */
  get count(): number {
    return this.n;
  }

  /** Bytes held by the typed arrays (for diagnostics). */
  get bytes(): number {
    return this.arena.byteLength + this.starts.byteLength + this.hashes.byteLength + this.vals.byteLength + this.flags.byteLength + this.table.byteLength;
  }

  private encode(id: string): number {
    // UTF-8 needs at most 3 bytes per UTF-16 unit
    if (id.length * 3 > this.scratch.length) this.scratch = new Uint8Array(id.length * 3 + 64);
    return this.enc.encodeInto(id, this.scratch).written;
  }

  private sameBytes(i: number, len: number): boolean {
    const s = this.starts[i];
    if (this.starts[i + 1] - s !== len) return false;
    const a = this.arena;
    const b = this.scratch;
    for (let k = 0; k < len; k++) if (a[s + k] !== b[k]) return false;
    return true;
  }

  /** Slot of the encoded key in scratch (len bytes, hash h): its entry's slot or the empty slot to use. */
  private slotOf(len: number, h: number): number {
    const mask = this.table.length - 1;
    let s = h & mask;
    for (;;) {
      const v = this.table[s];
      if (v === EMPTY) return s;
      const i = v - 1;
      if (this.hashes[i] === h && this.sameBytes(i, len)) return s;
      s = (s + 1) & mask;
    }
  }

  /** Index of a live entry, or -1. */
  indexOf(id: string): number {
    const len = this.encode(id);
    const v = this.table[this.slotOf(len, fnv1a(this.scratch, len))];
    if (v === EMPTY) return -1;
    return this.flags[v - 1] & 1 ? -1 : v - 1;
  }

  has(id: string): boolean {
    return this.indexOf(id) >= 0;
  }

  /** Value of a live entry (NaN when absent or stored as NaN). */
  get(id: string): number {
    const i = this.indexOf(id);
    return i < 0 ? NaN : this.vals[i];
  }

  /** Adds or updates; returns the entry's index. */
  set(id: string, value = NaN): number {
    const len = this.encode(id);
    const h = fnv1a(this.scratch, len);
    let slot = this.slotOf(len, h);
    const v = this.table[slot];
    if (v !== EMPTY && !(this.flags[v - 1] & 1)) {
      this.vals[v - 1] = value;
      return v - 1;
    }
    // new, or deleted earlier (then it goes to the end, as in a Map)
    const i = this.append(len, h, value);
    if (v === EMPTY && ++this.keys * 2 > this.table.length) {
      this.rehash(this.table.length * 2);
      slot = this.slotOf(len, h);
    }
    this.table[slot] = i + 1;
    this.live++;
    return i;
  }

  /** Distinct keys in the table (a deleted key keeps its slot): what bounds the load. */
  private keys = 0;

  private append(len: number, h: number, value: number): number {
    const i = this.n;
    if (i + 1 >= this.hashes.length) this.growEntries();
    if (this.arenaUsed + len > MAX_ARENA) throw new RangeError("IdMap: more than 4 GB of IDs");
    if (this.arenaUsed + len > this.arena.length) {
      // doubling, capped: the arena is addressed with uint32 offsets
      const a = new Uint8Array(Math.min(MAX_ARENA, Math.max(this.arena.length * 2, this.arenaUsed + len)));
      a.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = a;
    }
    this.arena.set(this.scratch.subarray(0, len), this.arenaUsed);
    this.starts[i] = this.arenaUsed;
    this.arenaUsed += len;
    this.starts[i + 1] = this.arenaUsed;
    this.hashes[i] = h;
    this.vals[i] = value;
    this.flags[i] = 0;
    this.n++;
    return i;
  }

  private growEntries(): void {
    const cap = this.hashes.length * 2;
    const grow = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, size: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.starts = grow(this.starts, cap + 1);
    this.hashes = grow(this.hashes, cap);
    this.vals = grow(this.vals, cap);
    this.flags = grow(this.flags, cap);
  }

  private rehash(size: number): void {
    const old = this.table;
    this.table = new Int32Array(size);
    const mask = size - 1;
    for (let s = 0; s < old.length; s++) {
      const v = old[s];
      if (v === EMPTY) continue;
      let t = this.hashes[v - 1] & mask;
      while (this.table[t] !== EMPTY) t = (t + 1) & mask;
      this.table[t] = v;
    }
  }

  delete(id: string): boolean {
    const i = this.indexOf(id);
    if (i < 0) return false;
    this.flags[i] |= 1;
    this.live--;
    return true;
  }

  clear(): void {
    this.arena = new Uint8Array(1024);
    this.arenaUsed = 0;
    this.starts = new Uint32Array(65);
    this.hashes = new Uint32Array(64);
    this.vals = new Float64Array(64);
    this.flags = new Uint8Array(64);
    this.table = new Int32Array(128);
    this.n = 0;
    this.live = 0;
    this.keys = 0;
  }

  isLive(i: number): boolean {
    return i >= 0 && i < this.n && !(this.flags[i] & 1);
  }

  idAt(i: number): string {
    return this.dec.decode(this.arena.subarray(this.starts[i], this.starts[i + 1]));
  }

  valueAt(i: number): number {
    return this.vals[i];
  }

  /** The caller's state of entry i (0..127; 0 initially). */
  stateAt(i: number): number {
    return this.flags[i] >> 1;
  }

  setState(i: number, state: number): void {
    this.flags[i] = (this.flags[i] & 1) | ((state & 0x7f) << 1);
  }

  /** Live entry indexes in insertion order. */
  *indexes(): Generator<number> {
    for (let i = 0; i < this.n; i++) if (!(this.flags[i] & 1)) yield i;
  }
}

/** A growable list of uint32 (e.g. the entry indexes of a folder's items to fetch). */
export class U32List {
  private a = new Uint32Array(64);
  length = 0;

  push(v: number): void {
    if (this.length === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length++] = v;
  }

  at(i: number): number {
    return this.a[i];
  }

  /** Frees the storage. */
  clear(): void {
    this.a = new Uint32Array(0);
    this.length = 0;
  }
}
