/**
 * Bytes of response bodies being read at once, across all requests of a client: a body announced
 * larger than what is left waits (its stream paused, so TCP holds the rest at the server) until earlier
 * ones are done. Many concurrent huge answers then cost a bounded amount of memory, not one body per
 * request in flight. A body larger than the whole budget goes alone.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiting: Array<{ bytes: number; go: () => void }> = [];

  constructor(private readonly total: number) {}

  /** Resolves once `bytes` are reserved; release them with the returned function (idempotent). */
  async take(bytes: number): Promise<() => void> {
    if (!this.fits(bytes) || this.waiting.length > 0) {
      await new Promise<void>((go) => this.waiting.push({ bytes, go }));
    } else this.used += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= bytes;
      this.wake();
    };
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.total;
  }

  private wake(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      this.used += next.bytes;
      next.go();
    }
  }
}
