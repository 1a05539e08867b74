/** One row of a route's chart: a signal's points over the window and its baseline band. */
export interface SparkRow {
  label: string;
  points: ReadonlyArray<[number, number]>;
  band?: { low: number; high: number };
  format: (value: number) => string;
}

const WIDTH = 420;
const ROW = 44;
const PLOT_X = 150;
const PLOT_W = WIDTH - PLOT_X - 60;

const escapeXml = (text: string): string => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A small self-contained SVG: one sparkline per signal over `[from, to]`,
 * the baseline band shaded grey, the impact window (when known) shaded red.
 */
export function sparklines(
  title: string,
  rows: readonly SparkRow[],
  from: number,
  to: number,
  impact?: { start: number; end: number },
): string {
  const height = rows.length * ROW + 24;
  const x = (t: number) => PLOT_X + ((t - from) / (to - from || 1)) * PLOT_W;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="4" y="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  if (impact) {
    const a = x(Math.max(from, impact.start));
    const b = x(Math.min(to, impact.end));
    parts.push(`<rect x="${a.toFixed(1)}" y="20" width="${Math.max(1, b - a).toFixed(1)}" height="${rows.length * ROW}" fill="#fde2e2"/>`);
  }
  rows.forEach((row, i) => {
    const top = 24 + i * ROW;
    const finite = row.points.filter(([, v]) => Number.isFinite(v));
    const values = [...finite.map(([, v]) => v), ...(row.band ? [row.band.low, row.band.high] : [])];
    const max = Math.max(...values, 0);
    const min = Math.min(...values, 0);
    const y = (v: number) => top + ROW - 6 - ((v - min) / (max - min || 1)) * (ROW - 12);
    parts.push(`<text x="4" y="${top + ROW / 2 + 4}">${escapeXml(row.label)}</text>`);
    if (row.band) {
      const hi = y(row.band.high);
      parts.push(
        `<rect x="${PLOT_X}" y="${hi.toFixed(1)}" width="${PLOT_W}" height="${Math.max(1, y(row.band.low) - hi).toFixed(1)}" fill="#e5e7eb"/>`,
      );
    }
    if (finite.length > 0) {
      const path = finite.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${path}" fill="none" stroke="#1f6feb" stroke-width="1.5"/>`);
      const peak = finite.reduce((a, b) => (b[1] > a[1] ? b : a));
      parts.push(`<text x="${PLOT_X + PLOT_W + 4}" y="${top + ROW / 2 + 4}">${escapeXml(`max ${row.format(peak[1])}`)}</text>`);
    } else {
      parts.push(`<text x="${PLOT_X}" y="${top + ROW / 2 + 4}" fill="#888">no data</text>`);
    }
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
