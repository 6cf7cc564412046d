/** An append-only Int32 list backed by a doubling typed array (no per-item allocation). */
export class GrowableInt32 {
  private buf: Int32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.buf = new Int32Array(Math.max(1, capacity));
  }

  push(x: number): void {
    if (this.length === this.buf.length) {
      const next = new Int32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = x;
  }

  /** A copy trimmed to the current length. */
  toArray(): Int32Array {
    return this.buf.slice(0, this.length);
  }
}
