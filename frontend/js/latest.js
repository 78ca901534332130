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
