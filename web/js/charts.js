// Small SVG charts. Each chart is a <figure> with an SVG (role="img", its summary in aria-label and
// <title>) and a visible legend; the numbers are also in the table beside it on the page.
import {h, s, formatNumber} from './dom.js';

// Colour-blind safe palette (Okabe–Ito) with enough contrast on white for bars.
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9',
                        '#7f6d00', '#555555'];

function legend(series) {
  return h('ul', {class: 'legend'}, series.map((sr, i) => h('li', {},
    s('svg', {width: 12, height: 12, 'aria-hidden': 'true'},
      s('rect', {width: 12, height: 12, fill: sr.color || PALETTE[i % PALETTE.length]})),
    ` ${sr.name}`)));
}

// Stacked columns: one column per category (e.g. an ingest run or a day), one stack segment per
// series. `series` = [{name, values: [number per category], color?}].
export function stackedColumns({title, categories, series, height = 220}) {
  const n = categories.length;
  const totals = categories.map((_, i) => series.reduce((sum, sr) => sum + (sr.values[i] || 0), 0));
  const max = Math.max(1, ...totals);
  const left = 48;
  const bottom = 44;
  const col = Math.max(8, Math.min(48, Math.floor(640 / Math.max(1, n))));
  const width = Math.max(320, left + n * col + 16);
  const plot = height - bottom - 10;
  const y = (v) => 10 + plot - (v / max) * plot;
  // Natural size, shrunk by CSS (max-width: 100%) on narrow screens, never blown up.
  const svg = s('svg', {viewBox: `0 0 ${width} ${height}`, width, height,
                        role: 'img', 'aria-label': title, preserveAspectRatio: 'xMinYMin meet'},
    s('title', {}, title));
  for (const frac of [0, 0.5, 1]) {
    const v = Math.round(max * frac);
    svg.append(s('line', {x1: left, x2: width - 8, y1: y(v), y2: y(v), stroke: '#ccc'}),
               s('text', {x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis'},
                 formatNumber(v)));
  }
  const labelEvery = Math.ceil(n / 12);
  categories.forEach((cat, i) => {
    let acc = 0;
    const x = left + i * col + 2;
    series.forEach((sr, j) => {
      const v = sr.values[i] || 0;
      if (v <= 0) return;
      const top = y(acc + v);
      svg.append(s('rect', {x, y: top, width: col - 4, height: Math.max(1, y(acc) - top),
                            fill: sr.color || PALETTE[j % PALETTE.length]},
        s('title', {}, `${cat}: ${sr.name} ${formatNumber(v)}`)));
      acc += v;
    });
    if (i % labelEvery === 0) {
      svg.append(s('text', {x: x + (col - 4) / 2, y: height - bottom + 16, 'text-anchor': 'middle',
                            class: 'axis'}, String(cat)));
    }
  });
  return h('figure', {class: 'chart'}, svg, legend(series),
           h('figcaption', {}, title));
}

// Horizontal bars: [{label, value}], largest first.
export function bars({title, data, color = PALETTE[0]}) {
  const rows = data.slice(0, 15);
  const max = Math.max(1, ...rows.map((d) => d.value));
  const labelWidth = 150;
  const row = 24;
  const width = 500;
  const height = rows.length * row + 8;
  const svg = s('svg', {viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
                        'aria-label': title}, s('title', {}, title));
  rows.forEach((d, i) => {
    const w = ((width - labelWidth - 60) * d.value) / max;
    const yy = 4 + i * row;
    svg.append(
      s('text', {x: labelWidth - 8, y: yy + 15, 'text-anchor': 'end', class: 'axis'},
        d.label.length > 22 ? d.label.slice(0, 21) + '…' : d.label),
      s('rect', {x: labelWidth, y: yy + 3, width: Math.max(1, w), height: row - 8, fill: color},
        s('title', {}, `${d.label}: ${formatNumber(d.value)}`)),
      s('text', {x: labelWidth + w + 6, y: yy + 15, class: 'axis'}, formatNumber(d.value)));
  });
  return h('figure', {class: 'chart'}, svg, h('figcaption', {}, title));
}
