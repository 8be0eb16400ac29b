/**
 * Idle GPU holders: kernels that keep GPU memory while doing nothing (the shared-GPU problem,
 * "one GPU per desk, used 5% of the time").
 */

/**
 * Seconds since a kernel's last activity while it is idle; null while it is busy or starting,
 * or when Jupyter does not say when it last did anything.
 */
export function idleSeconds(
  executionState: string,
  lastActivity: string | null,
  now: number
): number | null {
  if (executionState !== 'idle' || !lastActivity) {
    return null;
  }
  const t = Date.parse(lastActivity);
  if (!Number.isFinite(t)) {
    return null;
  }
  return Math.max(0, (now - t) / 1000);
}

/**
 * Whether a kernel is an idle GPU holder: it holds GPU memory, is idle, and has been for at
 * least `idleGpuMinutes`. Unknown GPU memory (pids not visible) never flags anyone.
 */
export function isIdleGpuHolder(
  gpuMemoryBytes: number | null,
  idle: number | null,
  idleGpuMinutes: number
): boolean {
  return (
    gpuMemoryBytes !== null &&
    gpuMemoryBytes > 0 &&
    idle !== null &&
    idle >= idleGpuMinutes * 60
  );
}
