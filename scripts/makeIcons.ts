/**
 * Draws the Teams app icons (color 192×192, outline 32×32 white on transparent) as PNGs, so the
 * repo holds no binary whose origin is unclear. Run once: `npx tsx scripts/makeIcons.ts`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

type Pixel = [number, number, number, number];

function png(size: number, paint: (x: number, y: number) => Pixel): Buffer {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const p = paint(x + 0.5, y + 0.5);
      raw.set(p, y * (size * 4 + 1) + 1 + x * 4);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c;
}

/** A flow glyph: three nodes joined by edges, in a unit square. */
function glyph(u: number, v: number, stroke: number): boolean {
  const nodes = [
    [0.28, 0.3],
    [0.72, 0.3],
    [0.5, 0.72],
  ];
  const near = (ax: number, ay: number, bx: number, by: number) => {
    const dx = bx - ax;
    const dy = by - ay;
    const t = Math.max(0, Math.min(1, ((u - ax) * dx + (v - ay) * dy) / (dx * dx + dy * dy)));
    return Math.hypot(u - (ax + t * dx), v - (ay + t * dy)) < stroke;
  };
  if (nodes.some(([x, y]) => Math.hypot(u - x, v - y) < 0.12)) return true;
  return near(0.28, 0.3, 0.72, 0.3) || near(0.28, 0.3, 0.5, 0.72) || near(0.72, 0.3, 0.5, 0.72);
}

const out = path.resolve(__dirname, '../manifest');
writeFileSync(
  path.join(out, 'color.png'),
  png(192, (x, y) => (glyph(x / 192, y / 192, 0.035) ? [255, 255, 255, 255] : [0x4b, 0x53, 0xbc, 255])),
);
writeFileSync(
  path.join(out, 'outline.png'),
  png(32, (x, y) => (glyph(x / 32, y / 32, 0.05) ? [255, 255, 255, 255] : [0, 0, 0, 0])),
);
