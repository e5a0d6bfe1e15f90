/**
 * How a session that runs until Ctrl-C (dev-<env>, logs-<env>, port-forward-<env>) learns to stop.
 *
 * interrupted() resolves on the first Ctrl-C (SIGINT), SIGTERM or SIGHUP (the terminal closed). The handlers stay
 * installed for the rest of the process: Nx answers Ctrl-C by sending SIGTERM to the executor's process
 * tree (twice) while it waits for it to exit, and a signal without a handler would kill the process in
 * the middle of stopping its children. Later signals are therefore swallowed; Nx still ends the process
 * after NX_PROCESS_KILL_GRACE_PERIOD (5 s) if stopping ever hangs.
 */
export const interrupted = () =>
  new Promise<string>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => resolve(signal));
  });
