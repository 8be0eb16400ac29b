/**
 * Which entries to evict so that `needed` more bytes fit under the quota: the least recently
 * used first, never one that is being downloaded.
 */
export interface IEvictable {
  id: string;
  size: number;
  lastUsedAt: number;
  /** Being downloaded now: never evicted. */
  active: boolean;
}

/**
 * @returns the ids to evict (oldest first), or undefined when even evicting everything idle
 *   would not make room.
 */
export function chooseEvictions(
  entries: IEvictable[],
  needed: number,
  quota: number
): string[] | undefined {
  let used = entries.reduce((sum, e) => sum + e.size, 0);
  if (used + needed <= quota) {
    return [];
  }
  const idle = entries
    .filter(e => !e.active)
    .sort((a, b) => a.lastUsedAt - b.lastUsedAt);
  const evict: string[] = [];
  for (const e of idle) {
    evict.push(e.id);
    used -= e.size;
    if (used + needed <= quota) {
      return evict;
    }
  }
  return undefined;
}
