/** A dependency-free progress bar on stderr: redrawn in place on a TTY, a line per quarter otherwise. */

const WIDTH = 30;
const REDRAW_MS = 100;

/** Where the bar is drawn: stderr, or any stream in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
}

/** A progress bar over `total` events. */
export class ProgressBar {
  readonly #total: number;
  readonly #stream: ProgressStream;
  readonly #started = performance.now();
  #lastDraw = 0;
  #lastQuarter = 0;

  constructor(total: number, stream: ProgressStream = process.stderr) {
    this.#total = Math.max(1, total);
    this.#stream = stream;
  }

  /** Reports `done` of `total`; cheap to call often (redraws at most every 100 ms). */
  update(done: number): void {
    const now = performance.now();
    if (this.#stream.isTTY === true) {
      if (now - this.#lastDraw < REDRAW_MS && done < this.#total) return;
      this.#lastDraw = now;
      this.#stream.write(`\r${this.#line(done, now)}`);
      return;
    }
    const quarter = Math.floor((done / this.#total) * 4);
    if (quarter > this.#lastQuarter) {
      this.#lastQuarter = quarter;
      this.#stream.write(`${this.#line(done, now)}\n`);
    }
  }

  /** Draws the final state and ends the line. */
  finish(done: number): void {
    if (this.#stream.isTTY === true) this.#stream.write(`\r${this.#line(done, performance.now())}\n`);
    else if (this.#lastQuarter < 4) this.#stream.write(`${this.#line(done, performance.now())}\n`);
  }

  #line(done: number, now: number): string {
    const ratio = Math.min(1, done / this.#total);
    const filled = Math.round(ratio * WIDTH);
    const seconds = Math.max(0.001, (now - this.#started) / 1000);
    const rate = Math.round(done / seconds);
    return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%  ${formatInt(done)}/${formatInt(this.#total)} events  ${formatInt(rate)} events/s`;
  }
}

/** 12345 → "12,345". */
export function formatInt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
