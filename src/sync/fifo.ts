/**
 * A FIFO of numbers with O(1) push and shift (Array#shift is O(n): quadratic over 100,000 queued ids),
 * kept in fixed blocks of a typed array: the listing can queue most of a million ids before the fetches
 * catch up, and a number[] that size sits on the V8 heap (which then grows its collection threshold with
 * it) and is copied whenever it grows. Blocks are dropped as they are consumed, so memory follows the live
 * length.
 */
const BLOCK = 4096;

export class Fifo {
  private blocks: Float64Array[] = [];
  /** Next to read in blocks[0], next to write in the last block. */
  private head = 0;
  private tail = BLOCK;
  private count = 0;

  push(v: number): void {
    if (this.tail === BLOCK) {
      this.blocks.push(new Float64Array(BLOCK));
      this.tail = 0;
    }
    this.blocks[this.blocks.length - 1]![this.tail++] = v;
    this.count++;
  }

  shift(): number | undefined {
    if (this.count === 0) return undefined;
    const v = this.blocks[0]![this.head++]!;
    if (--this.count === 0) {
      // Empty: reading caught up with writing in the last block, which is kept and written from its start.
      this.blocks = [this.blocks[this.blocks.length - 1]!];
      this.head = 0;
      this.tail = 0;
    } else if (this.head === BLOCK) {
      this.blocks.shift();
      this.head = 0;
    }
    return v;
  }

  get length(): number {
    return this.count;
  }
}
