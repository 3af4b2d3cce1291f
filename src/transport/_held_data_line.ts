/**
 * Where the one data line of a gathered SSE event is, in its bytes (private helper of `_sse_stream.ts`, loaded
 * with the first large event that may go to the host as bytes). Pure.
 *
 * @module
 */

const LF = 0x0a;
const CR = 0x0d;

/** Where the one data line of an event is, in the event's bytes. */
export interface HeldDataLine {
  /** Where the line's data starts (after `data:` and its one optional space). */
  dataStart: number;
  /** Where it ends (its line break). */
  dataEnd: number;
  /** How long `data:` and its space are. */
  nameLength: number;
  /** Where what follows the event's blank line starts. */
  next: number;
}

/** The longest the fields before the data line may be (`event`, `id`, comments): a longer start is unusual. */
const FIELDS_MAX = 4096;

const DATA = new TextEncoder().encode("data:");

/**
 * The data line of an event that is `[fields]` + one `data` line + a blank line, at the start of `bytes`
 * (what follows the blank line may be further events); `undefined` for any other shape.
 */
export function heldDataLine(bytes: Uint8Array): HeldDataLine | undefined {
  let line = 0;
  while (true) {
    if (line > FIELDS_MAX) return undefined;
    if (DATA.every((byte, k) => bytes[line + k] === byte)) break;
    const end = lineEnd(bytes, line, Math.min(bytes.length, line + FIELDS_MAX));
    // A blank line (an event ended before any data), a field too long, or a `data` line with no colon
    // (data too: this event has more than one data line): not this shape.
    if (end === -1 || end === line) return undefined;
    if (end - line === 4 && DATA.subarray(0, 4).every((byte, k) => bytes[line + k] === byte)) {
      return undefined;
    }
    line = afterBreak(bytes, end);
  }
  const nameLength = bytes[line + DATA.length] === 0x20 ? DATA.length + 1 : DATA.length;
  const dataStart = line + nameLength;
  const dataEnd = lineEnd(bytes, dataStart, bytes.length);
  if (dataEnd === -1) return undefined;
  const blank = afterBreak(bytes, dataEnd);
  if (bytes[blank] !== LF && bytes[blank] !== CR) return undefined;
  return { dataStart, dataEnd, nameLength, next: afterBreak(bytes, blank) };
}

/** Where the line that starts at `from` ends (its CR or LF), searching before `to`; -1 when it does not. */
function lineEnd(bytes: Uint8Array, from: number, to: number): number {
  const part = bytes.subarray(from, to);
  const lf = part.indexOf(LF);
  const cr = part.indexOf(CR);
  const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
  return end === -1 ? -1 : from + end;
}

/** Past the line break at `at` (CR LF is one). */
function afterBreak(bytes: Uint8Array, at: number): number {
  return bytes[at] === CR && bytes[at + 1] === LF ? at + 2 : at + 1;
}
