/**
 * Ctrl-C and `kill` while trm holds temporary output: registered handlers run synchronously
 * (remove a staging directory, say where the last checkpoint is), then the process exits with
 * the shell's code for the signal (130 for SIGINT). Handlers are installed only while
 * something is registered, so a command with nothing to clean up keeps Node's default
 * behaviour (it dies at once, even inside a long synchronous loop).
 */
const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
type Signal = keyof typeof SIGNALS;

const handlers = new Set<(signal: Signal) => void>();
const listeners = new Map<Signal, () => void>();

function onSignal(signal: Signal): void {
  for (const h of [...handlers].reverse()) {
    try {
      h(signal);
    } catch {
      // A failing cleanup must not keep the others from running.
    }
  }
  // Die of the signal itself (the shell reports 128 + its number) rather than process.exit():
  // an exit runs the native WebGPU library's teardown while a device is still in use.
  for (const [s, l] of listeners) process.off(s, l);
  listeners.clear();
  process.kill(process.pid, signal);
}

/**
 * Runs `handler` if the process is interrupted before the returned function is called.
 * Handlers run newest first.
 */
export function onInterrupt(handler: (signal: Signal) => void): () => void {
  handlers.add(handler);
  if (listeners.size === 0) {
    for (const signal of Object.keys(SIGNALS) as Signal[]) {
      const l = () => onSignal(signal);
      listeners.set(signal, l);
      process.on(signal, l);
    }
  }
  return () => {
    handlers.delete(handler);
    if (handlers.size === 0) {
      for (const [signal, l] of listeners) process.off(signal, l);
      listeners.clear();
    }
  };
}
