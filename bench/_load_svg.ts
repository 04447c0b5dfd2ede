/**
 * Draws the `bench/load.ts` results as a hand-written SVG bar chart (no
 * dependencies): one panel for throughput (higher is better) and one for
 * memory (lower is better), bars normalised to `node:http2` = 1.0 with the
 * absolute value printed on each bar.
 *
 * @module
 */

/** One bar: a server's median for a workload. */
export interface Bar {
  /** Server key (`ours`, `node`, `deno`). */
  server: string;
  /** Value relative to the baseline server (1.0 = same). */
  ratio: number;
  /** The absolute value, printed on the bar (e.g. "68.2k req/s"). */
  label: string;
}

/** One group of bars (a workload). */
export interface Group {
  /** Group label under the bars (e.g. "W1"). */
  name: string;
  /** Second label line (e.g. "-c 10 -m 10"). */
  caption: string;
  /** The bars, in server order. */
  bars: Bar[];
}

/** One panel of the chart. */
export interface Panel {
  /** Title above the panel. */
  title: string;
  /** Bar groups. */
  groups: Group[];
}

const COLORS: Record<string, string> = {
  ours: "#2f6fdb",
  node: "#5a9e3a",
  deno: "#6f6f6f",
};
const PALETTE = ["#2f6fdb", "#5a9e3a", "#6f6f6f", "#d98a1c", "#a4459b"];

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Renders panels stacked vertically, with a legend.
 *
 * @param title The chart title.
 * @param panels The panels.
 * @param labels Display names per server key.
 * @param subtitle A line under the title (machine, command).
 * @returns SVG markup.
 */
export function renderChart(
  title: string,
  panels: readonly Panel[],
  labels: Readonly<Record<string, string>>,
  subtitle: string,
): string {
  const servers = [
    ...new Set(panels.flatMap((p) => p.groups.flatMap((g) => g.bars)).map((b) => b.server)),
  ];
  const color = (s: string) => COLORS[s] ?? PALETTE[servers.indexOf(s) % PALETTE.length]!;
  const barW = 34;
  const gap = 4;
  const groupGap = 48;
  const left = 56;
  const panelH = 220;
  const groupW = (n: number) => n * (barW + gap) - gap;
  const maxGroups = Math.max(1, ...panels.map((p) => p.groups.length));
  const width = Math.max(
    900,
    left + 20 + maxGroups * (groupW(Math.max(1, servers.length)) + groupGap),
  );
  const top = 70;
  const panelStride = panelH + 90;
  const height = top + panels.length * panelStride + 10;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${left}" y="24" font-size="17" font-weight="600" fill="#111">${esc(title)}</text>`,
    `<text x="${left}" y="42" font-size="11" fill="#555">${esc(subtitle)}</text>`,
  );
  // legend
  let lx = left;
  for (const s of servers) {
    out.push(
      `<rect x="${lx}" y="52" width="12" height="12" fill="${color(s)}"/>`,
      `<text x="${lx + 16}" y="62" font-size="12" fill="#222">${esc(labels[s] ?? s)}</text>`,
    );
    lx += 24 + 7 * (labels[s] ?? s).length;
  }
  panels.forEach((panel, pi) => {
    const y0 = top + pi * panelStride + 30; // top of plot area
    const maxRatio = Math.max(
      1.25,
      ...panel.groups.flatMap((g) => g.bars.map((b) => (Number.isFinite(b.ratio) ? b.ratio : 0))),
    );
    const scale = (r: number) => (r / (maxRatio * 1.15)) * panelH;
    const base = y0 + panelH;
    out.push(
      `<text x="${left}" y="${y0 - 12}" font-size="13" font-weight="600" fill="#222">${
        esc(panel.title)
      }</text>`,
      `<line x1="${left}" y1="${base}" x2="${width - 10}" y2="${base}" stroke="#999"/>`,
    );
    const step = maxRatio > 3 ? 1 : 0.5;
    for (let r = step; r <= maxRatio * 1.15; r += step) {
      const y = base - scale(r);
      out.push(
        `<line x1="${left}" y1="${y}" x2="${width - 10}" y2="${y}" stroke="${
          r === 1 ? "#444" : "#e3e3e3"
        }"${r === 1 ? ' stroke-dasharray="4 3"' : ""}/>`,
        `<text x="${left - 6}" y="${y + 4}" font-size="10" text-anchor="end" fill="#666">${
          r.toFixed(1)
        }×</text>`,
      );
    }
    panel.groups.forEach((group, gi) => {
      const gx = left + 14 + gi * (groupW(servers.length) + groupGap);
      group.bars.forEach((bar) => {
        const x = gx + servers.indexOf(bar.server) * (barW + gap);
        const ok = Number.isFinite(bar.ratio) && bar.ratio > 0;
        const h = ok ? Math.max(1, scale(bar.ratio)) : 0;
        if (ok) {
          out.push(
            `<rect x="${x}" y="${base - h}" width="${barW}" height="${h}" fill="${
              color(bar.server)
            }"><title>${
              esc(
                `${labels[bar.server] ?? bar.server} ${group.name}: ${bar.label} (${
                  bar.ratio.toFixed(2)
                }× node)`,
              )
            }</title></rect>`,
          );
        }
        // The label runs up the bar: inside it (white) when it fits, else above it.
        const text = ok ? `${bar.label} · ${bar.ratio.toFixed(2)}×` : "n/a";
        const inside = h > text.length * 5.6 + 10;
        const tx = x + barW / 2;
        const ty = inside ? base - h + 6 : base - h - 4;
        out.push(
          `<text x="${tx}" y="${ty}" font-size="10" text-anchor="${
            inside ? "end" : "start"
          }" fill="${inside ? "#fff" : "#222"}" transform="rotate(-90 ${tx} ${ty})" dy="3.5">${
            esc(text)
          }</text>`,
        );
      });
      const cx = gx + groupW(servers.length) / 2;
      out.push(
        `<text x="${cx}" y="${
          base + 16
        }" font-size="12" font-weight="600" text-anchor="middle" fill="#222">${
          esc(group.name)
        }</text>`,
        `<text x="${cx}" y="${base + 30}" font-size="9" text-anchor="middle" fill="#666">${
          esc(group.caption)
        }</text>`,
      );
    });
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
