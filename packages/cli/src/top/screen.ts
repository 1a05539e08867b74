/**
 * Where frames go. The full-screen view uses the terminal's alternate screen
 * (as `top` and `less` do), so quitting restores what was there; every frame
 * is drawn over the last one in a single write, without clearing first, so
 * it does not flicker. The plain view appends one summary per frame.
 */
export interface Screen {
  draw(lines: readonly string[]): void;
  close(): void;
}

const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';

export function fullScreen(out: NodeJS.WriteStream): Screen {
  out.write(ENTER);
  let closed = false;
  return {
    draw(lines) {
      const width = out.columns || 120;
      // Home, then each line cut to the width and cleared to its end, then clear whatever is below.
      out.write(`\x1b[H${lines.map((l) => `${truncate(l, width)}\x1b[K`).join('\r\n')}\x1b[J`);
    },
    close() {
      if (closed) return;
      closed = true;
      out.write(LEAVE);
    },
  };
}

export function plainScreen(out: NodeJS.WritableStream): Screen {
  return {
    draw(lines) {
      out.write(`${lines.join('\n')}\n\n`);
    },
    close() {},
  };
}

/** A control sequence's body after ESC: `[`, parameters, a final letter. */
const CSI = /^\[[0-9;?]*[A-Za-z]/;

/** Cuts a line to `width` visible characters, keeping ANSI sequences intact. */
function truncate(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const sequence = line.charCodeAt(i) === 0x1b ? CSI.exec(line.slice(i + 1)) : null;
    if (sequence) {
      out += `\x1b${sequence[0]}`;
      i += sequence[0].length;
      continue;
    }
    if (visible >= width) continue;
    out += line[i];
    visible++;
  }
  return out;
}
