/**
 * The copy's per-table checksum: the row count and two sums of 64-bit halves of each row's md5, taken over
 * the row as PostgreSQL prints it (row-text.ts). The client adds up the rows as it sends them; the server
 * adds up the rows it stored, in one query per table. Sums do not depend on the order rows come in.
 */
import { createHash, hash } from 'node:crypto';
import type { Column } from './copy-source.js';
import { pgColumnText } from './row-text.js';

/** Row count and the two sums, on either side. */
export class RowSums {
  rows = 0;
  private high = 0n;
  private low = 0n;
  /** Adds one row, given as `ROW(...)::text` prints it. */
  add(text: string): void {
    const d = hash('md5', text, 'buffer') as unknown as Buffer;
    this.high += d.readBigInt64BE(0);
    this.low += d.readBigInt64BE(8);
    this.rows++;
  }
  /** The server's figures, as storedSumsQuery returns them. */
  static of(row: StoredSumsRow): RowSums {
    const sums = new RowSums();
    sums.rows = row.n;
    sums.high = BigInt(row.high);
    sums.low = BigInt(row.low);
    return sums;
  }
  checksum(): string {
    return createHash('sha256').update(`${this.rows}:${this.high}:${this.low}`).digest('hex');
  }
}

/** What storedSumsQuery returns. */
export interface StoredSumsRow {
  n: number;
  high: string;
  low: string;
}

/** The query whose one row (StoredSumsRow) sums the rows `table` holds, from the server's own text of each value. */
export function storedSumsQuery(q: string, table: string, columns: Column[]): string {
  const row = columns.map((c) => pgColumnText(c.name, c.kind)).join(', ');
  const half = (from: number): string => `coalesce(sum(('x' || substr(h, ${from}, 16))::bit(64)::bigint), 0)::text`;
  return `SELECT count(*)::int AS n, ${half(1)} AS high, ${half(17)} AS low FROM (SELECT md5(ROW(${row})::text) AS h FROM ${q}.${table}) x`;
}
