/** A FIFO of numbers with O(1) push and shift (Array#shift is O(n): quadratic over 100,000 queued ids). */
export class Fifo {
  private items: number[] = [];
  private head = 0;

  push(v: number): void {
    this.items.push(v);
  }

  shift(): number | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head++];
    // Compact once the consumed prefix dominates, so memory follows the live length.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }

  get length(): number {
    return this.items.length - this.head;
  }
}
