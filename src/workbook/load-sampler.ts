/**
 * The machine's 1-minute load average while a notebook runs, kept with the notebook's timing so
 * that a time read from a run says whether the run had the cores to itself. The engine's wasm
 * threads keep up to one runnable thread per core busy, so a notebook alone on a 2-core machine
 * reads about 1.5 to 2.5 (a whole default run alone averaged 1.7); one that shared the cores with
 * another job reads more. The 1-minute average lags by about a minute, so a short notebook partly
 * reads the one before it. (Windows reports 0.)
 */
import * as os from 'os';

export interface LoadReading {
  /** mean of the samples of os.loadavg()[0] */
  mean: number;
  /** the largest sample */
  max: number;
  /** how many samples: one at the start, one every `everyMs`, one at the end */
  samples: number;
}

/** Start sampling; `stop()` ends it and returns the reading (values rounded to 0.01). */
export function sampleLoad(everyMs = 10_000, read: () => number = () => os.loadavg()[0]): { stop: () => LoadReading } {
  const xs = [read()];
  const timer = setInterval(() => xs.push(read()), everyMs);
  timer.unref(); // never keeps the runner alive
  return {
    stop: () => {
      clearInterval(timer);
      xs.push(read());
      const round = (x: number) => Math.round(x * 100) / 100;
      return { mean: round(xs.reduce((a, x) => a + x, 0) / xs.length), max: round(Math.max(...xs)), samples: xs.length };
    },
  };
}
