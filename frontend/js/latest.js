// Latest-wins scheduling: at most one call in flight; while it runs, newer requests overwrite
// each other, and only the newest runs next. No queue of stale frames.

/**
 * @param {(arg: any) => Promise<void>} task
 * @returns {(arg: any) => void} schedule
 */
export function latestWins(task) {
  let running = false;
  let pending = null;
  let hasPending = false;

  async function run(arg) {
    running = true;
    try {
      await task(arg);
    } finally {
      running = false;
      if (hasPending) {
        const next = pending;
        hasPending = false;
        pending = null;
        run(next);
      }
    }
  }

  return function schedule(arg) {
    if (running) {
      pending = arg;
      hasPending = true;
    } else {
      run(arg);
    }
  };
}

/**
 * Wait until the work `current()` names has ended, and no newer work has taken its place
 * meanwhile (the newest encode, the current model's decoder load). Failures count as ended.
 * @param {() => Promise<unknown>} current
 */
export async function newestSettled(current) {
  for (let waited = null; waited !== current();) {
    waited = current();
    await waited.catch(() => {});
  }
}

/** The next wait, in seconds, of a retry that backs off: 1, 2, 4, then every 8 (`wait` 0 starts). */
export const backoff = (wait) => Math.min(8, wait ? 2 * wait : 1);

/** Tries of a retry tied to one drawing (1 + 2 + 4 + 8 + 8 s): then the user's next move asks. A
 *  failure that repeats was re-sent every 8 s for as long as the tab stayed open (page pass 10). */
export const MAX_RETRIES = 5;

/**
 * The one retry of the page's requests that may pass (the server's 5xx, no answer): waits that
 * back off, at most `limit` tries, started over when the user acts.
 * @param {number} [limit] tries before giving up (Infinity: until it succeeds)
 */
export function createRetry(limit = Infinity) {
  let wait = 0;
  let tries = 0;
  let timer = 0;
  return {
    /** Arm the next try of `again`; its wait in seconds, or 0 once the tries are spent. */
    schedule(again) {
      clearTimeout(timer);
      if (tries >= limit) return 0;
      tries += 1;
      wait = backoff(wait);
      timer = setTimeout(again, wait * 1000);
      return wait;
    },
    /** Drop the armed try; the count goes on (a retry in flight). */
    cancel: () => clearTimeout(timer),
    /** It succeeded, or the user acted: drop the armed try and start over. */
    reset() {
      clearTimeout(timer);
      wait = 0;
      tries = 0;
    },
    /** A failure was said with a promise of trying again (or of having given up). */
    get failing() { return tries > 0; },
  };
}
