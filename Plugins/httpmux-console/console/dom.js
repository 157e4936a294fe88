// Small DOM and formatting helpers shared by the pages.

/// `el('td', {class: 'x', onclick: f}, 'text', child)`: attributes, event handlers (on*) and children.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/// Replaces a node's children only when the text changed, so a poll does not reset selections.
export function setText(node, text) {
  const s = String(text);
  if (node.textContent !== s) node.textContent = s;
}

export function bytes(n) {
  if (!(n >= 0)) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + ' ' + units[i];
}

export function bitrate(bitsPerSecond) {
  if (!(bitsPerSecond >= 0)) return '–';
  if (bitsPerSecond >= 1e6) return (bitsPerSecond / 1e6).toFixed(2) + ' Mb/s';
  return Math.round(bitsPerSecond / 1e3) + ' kb/s';
}

export function duration(seconds) {
  if (!(seconds >= 0)) return '–';
  const d = Math.floor(seconds / 86400), h = Math.floor(seconds / 3600) % 24, m = Math.floor(seconds / 60) % 60, s = Math.floor(seconds % 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${String(m).padStart(2, '0')}m`;
  return `${m}:${String(s).padStart(2, '0')}`;
}

/// Copies text, through the Clipboard API where the page is a secure context, else through a selection.
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try { await navigator.clipboard.writeText(text); return true; } catch { /* fall through */ }
  }
  const area = el('textarea', { class: 'offscreen', readonly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  area.remove();
  return ok;
}

export function copyButton(text) {
  const b = el('button', { class: 'small', type: 'button', title: 'Copy to the clipboard' }, 'Copy');
  b.addEventListener('click', async () => {
    const ok = await copyText(typeof text === 'function' ? text() : text);
    b.textContent = ok ? 'Copied' : 'Select and copy';
    setTimeout(() => { b.textContent = 'Copy'; }, 1500);
  });
  return b;
}

/// A button that asks for a second click within a few seconds before it acts (no modal dialogs).
export function confirmButton(label, confirmLabel, action, attrs) {
  const b = el('button', Object.assign({ type: 'button' }, attrs || {}), label);
  let armed = null;
  b.addEventListener('click', () => {
    if (!armed) {
      b.textContent = confirmLabel;
      b.classList.add('armed');
      armed = setTimeout(() => { armed = null; b.textContent = label; b.classList.remove('armed'); }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    b.textContent = label;
    b.classList.remove('armed');
    action();
  });
  return b;
}

/// Shows a one-line message in a status element, red for errors.
export function status(node, text, isError) {
  node.textContent = text;
  node.classList.toggle('error', !!isError);
}

/// Runs `fn` every `ms` while started, never two at once (a slow answer delays the next call, never stacks them).
export class Poller {
  constructor(ms, fn) { this.ms = ms; this.fn = fn; this.generation = 0; this.timer = null; }
  get running() { return this.timer !== null; }
  start() {
    if (this.running) return;
    const generation = ++this.generation;
    const tick = async () => {
      const started = performance.now();
      try { await this.fn(); } catch { /* the page shows its own errors */ }
      if (generation === this.generation) this.timer = setTimeout(tick, Math.max(50, this.ms - (performance.now() - started)));
    };
    this.timer = setTimeout(tick, 0);
  }
  stop() { this.generation++; clearTimeout(this.timer); this.timer = null; }
}
