/**
 * A set of issue ids in typed arrays, for the ids a run's listing held. A Set or Map of a million numbers
 * lives on the V8 heap (tens of bytes an entry, and the heap then grows its collection threshold with
 * it); this set lives in flat buffers outside it. Ids of a SpeakUp system are mostly consecutive, so
 * they go to a bitmap from 0 as long as the bitmap costs at most {@link MAX_BITS_PER_ID} bits per id
 * held; the others go to a hash table (open addressing, linear probing, 8 bytes a slot, at most half
 * full). An id is in the set when it is in either.
 */

/** The bitmap may always cover ids up to this (128 KiB of bits). */
const MIN_BITMAP_BITS = 1 << 20;
/** …and beyond it, up to this many bits per id held (8 bytes: half the hash table's least cost). */
const MAX_BITS_PER_ID = 64;
/** Slots of the first hash table (a power of two). */
const INITIAL_SLOTS = 1024;

export class IdSet {
  private bits = new Uint32Array(0);
  private slots = new Float64Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  private hashed = 0;
  private count = 0;
  // What no listing yields (negative, fractional, unsafe numbers), kept apart so the set takes any number.
  private readonly odd = new Set<number>();

  get size(): number {
    return this.count;
  }

  has(id: number): boolean {
    if (!isIndex(id)) return this.odd.has(id);
    return this.inBitmap(id) || (this.hashed > 0 && this.inHash(id));
  }

  /** Adds `id`; false when it was there already. */
  add(id: number): boolean {
    if (this.has(id)) return false;
    this.count++;
    if (!isIndex(id)) {
      this.odd.add(id);
      return true;
    }
    if (this.fitBitmap(id)) {
      const word = Math.floor(id / 32);
      this.bits[word] = this.bits[word]! | (1 << (id & 31));
      return true;
    }
    this.insert(id + 1);
    // Grown at half full: probes stay short.
    if (++this.hashed * 2 > this.slots.length) this.grow();
    return true;
  }

  private inBitmap(id: number): boolean {
    const word = Math.floor(id / 32);
    return word < this.bits.length && (this.bits[word]! & (1 << (id & 31))) !== 0;
  }

  /** Grows the bitmap to hold `id` if that stays within its budget; true when `id` is within it now. */
  private fitBitmap(id: number): boolean {
    const word = Math.floor(id / 32);
    if (word < this.bits.length) return true;
    const budget = Math.max(MIN_BITMAP_BITS, MAX_BITS_PER_ID * this.count);
    if (id >= budget) return false;
    const words = Math.min(Math.ceil(budget / 32), Math.max(word + 1, this.bits.length * 2));
    const grown = new Uint32Array(words);
    grown.set(this.bits);
    this.bits = grown;
    return true;
  }

  // The table holds id + 1, so that 0 marks an empty slot (a zeroed buffer is an empty table).
  private inHash(id: number): boolean {
    const key = id + 1;
    for (let i = slotOf(key) & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.slots[i]!;
      if (v === key) return true;
      if (v === 0) return false;
    }
  }

  private insert(key: number): void {
    let i = slotOf(key) & this.mask;
    while (this.slots[i] !== 0) i = (i + 1) & this.mask;
    this.slots[i] = key;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    this.mask = this.slots.length - 1;
    for (const v of old) if (v !== 0) this.insert(v);
  }
}

function isIndex(id: number): boolean {
  return Number.isSafeInteger(id) && id >= 0;
}

/** Mixes a key's high and low 32 bits into a well-spread slot number (consecutive keys must not cluster). */
function slotOf(key: number): number {
  const lo = key >>> 0;
  const hi = Math.floor(key / 4294967296) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
