/**
 * burst: reading a job's log by byte offset, cut on UTF-8 character boundaries so that a
 * piece never ends inside a character.
 */
import { open } from 'node:fs/promises';

/** The length of the longest prefix of `buf` that ends on a character boundary. */
export function completeUtf8Length(buf: Uint8Array): number {
  const n = buf.length;
  // Look back at most 3 bytes for the lead byte of the last character.
  for (let back = 1; back <= Math.min(4, n); back++) {
    const byte = buf[n - back];
    if ((byte & 0xc0) === 0x80) {
      continue; // continuation byte
    }
    const need =
      byte < 0x80
        ? 1
        : (byte & 0xe0) === 0xc0
          ? 2
          : (byte & 0xf0) === 0xe0
            ? 3
            : (byte & 0xf8) === 0xf0
              ? 4
              : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/** A piece of a log. */
export interface ILogPiece {
  text: string;
  /** Where the next read starts. */
  next: number;
  /** The file's size now. */
  size: number;
}

/** Read up to `max` bytes from `offset` (missing file: empty). */
export async function readLog(
  file: string | undefined,
  offset: number,
  max: number
): Promise<ILogPiece> {
  if (!file) {
    return { text: '', next: offset, size: 0 };
  }
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return { text: '', next: offset, size: 0 };
  }
  try {
    const size = (await handle.stat()).size;
    if (offset >= size) {
      return { text: '', next: Math.min(offset, size), size };
    }
    // At least one whole character (4 bytes), or a piece could end before its first one.
    const length = Math.min(Math.max(max, 4), size - offset);
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, offset);
    const whole =
      offset + bytesRead < size
        ? completeUtf8Length(buf.subarray(0, bytesRead))
        : bytesRead;
    return {
      text: buf.subarray(0, whole).toString('utf8'),
      next: offset + whole,
      size
    };
  } finally {
    await handle.close();
  }
}
