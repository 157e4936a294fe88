// Sparklines: a fixed window of samples drawn as one SVG polyline, scaled to the window's largest value.

export class Sparkline {
  constructor(svg, label, format, size = 120) {
    this.svg = svg;
    this.label = label;
    this.format = format;
    this.size = size;
    this.values = [];
    this.line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    svg.replaceChildren(this.line);
  }

  push(value) {
    if (!isFinite(value)) return;
    this.values.push(value);
    if (this.values.length > this.size) this.values.shift();
    this.draw();
  }

  draw() {
    const [w, h] = [240, 48];
    const max = Math.max(1e-9, ...this.values);
    const step = w / (this.size - 1);
    const offset = this.size - this.values.length;
    this.line.setAttribute('points', this.values.map((v, i) =>
      `${((offset + i) * step).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`).join(' '));
    this.label.textContent = this.format(this.values[this.values.length - 1]);
    this.svg.setAttribute('aria-label', `last ${this.label.textContent}, peak ${this.format(max)}`);
  }
}
