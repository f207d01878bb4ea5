// Figures a benchmark or a browser test reads from `window.__parleyPerf`: how long a streamed delta
// waits between arriving from the network and being drawn. Bounded, so it costs nothing to keep on.

const MAX = 5000;

export interface ChunkTiming {
  /** ms from the network read that delivered the delta to the DOM write in the next frame. */
  toCommit: number;
  /** ms from arrival to the frame after that write was painted (an upper bound on "on screen"). */
  toPaint: number;
}

class Perf {
  chunks: ChunkTiming[] = [];

  recordCommit(arrivals: number[], committed: number): void {
    const entries = arrivals.map((a) => ({ toCommit: committed - a, toPaint: Number.NaN }));
    // The next frame's start comes after this frame's paint: arrival to then bounds "on screen".
    requestAnimationFrame((next) => {
      for (const e of entries) e.toPaint = next - (committed - e.toCommit);
    });
    this.chunks.push(...entries);
    if (this.chunks.length > MAX) this.chunks.splice(0, this.chunks.length - MAX);
  }

  reset(): void {
    this.chunks = [];
  }
}

export const perf = new Perf();

declare global {
  interface Window {
    __parleyPerf?: Perf;
  }
}
window.__parleyPerf = perf;
