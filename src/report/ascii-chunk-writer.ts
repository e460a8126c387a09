/**
 * A byte buffer for building large ASCII texts (CSV files) quickly, handed out as a sequence of string chunks.
 *
 * Building a 70 MB CSV by concatenating JavaScript strings allocates one string (or rope node) per value and
 * row; writing bytes into one reused buffer and decoding it once per megabyte is several times faster and keeps
 * memory flat. Only ASCII may be written: chunks are decoded as latin1, which maps each byte to one character.
 */

import { MAX_NUMBER_TEXT_BYTES, writeNumber } from './number-format.js';

/** Default chunk size, bytes: large enough to amortise decoding, small enough to stream. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;

/**
 * Accumulates ASCII bytes and returns them as strings of about `chunkBytes` characters.
 *
 * @example
 * const writer = new AsciiChunkWriter();
 * writer.reserve(64);
 * writer.number(1 / 3);
 * writer.byte(10); // '\n'
 * writer.flush(); // '0.333333\n'
 */
export class AsciiChunkWriter {
  private readonly bytes: Buffer;
  private position = 0;

  /** @param chunkBytes buffer capacity, bytes; a chunk is flushed before a reservation would overflow it. */
  constructor(readonly chunkBytes: number = DEFAULT_CHUNK_BYTES) {
    if (!(chunkBytes >= MAX_NUMBER_TEXT_BYTES)) {
      throw new RangeError(`chunkBytes must be at least ${MAX_NUMBER_TEXT_BYTES}, got ${chunkBytes}`);
    }
    this.bytes = Buffer.allocUnsafe(chunkBytes);
  }

  /** Bytes written since the last flush. */
  get length(): number {
    return this.position;
  }

  /**
   * Makes room for `byteCount` more bytes; the writes that follow must not exceed it.
   *
   * @returns the pending text if it had to be flushed to make room, otherwise `undefined`.
   */
  reserve(byteCount: number): string | undefined {
    if (byteCount > this.chunkBytes) throw new RangeError(`cannot reserve ${byteCount} bytes in a ${this.chunkBytes}-byte chunk`);
    return this.position + byteCount > this.chunkBytes ? this.flush() : undefined;
  }

  /** Writes one byte, given as its character code (ASCII). */
  byte(code: number): void {
    this.bytes[this.position++] = code;
  }

  /** Writes an ASCII string. */
  text(ascii: string): void {
    for (let index = 0; index < ascii.length; index++) this.bytes[this.position++] = ascii.charCodeAt(index);
  }

  /** Writes a number with {@link writeNumber}; reserve {@link MAX_NUMBER_TEXT_BYTES} for it. */
  number(value: number): void {
    this.position = writeNumber(this.bytes, this.position, value);
  }

  /** Returns the text written since the last flush and empties the buffer. */
  flush(): string {
    const text = this.bytes.toString('latin1', 0, this.position);
    this.position = 0;
    return text;
  }
}
