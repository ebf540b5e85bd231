/** The content hash that versions a configuration. */

/**
 * Two 32-bit FNV-1a hashes of `text` (UTF-16 code units) with different offsets, as 16 hex
 * digits: cheap enough for large configurations, and collisions are no security concern here.
 */
export function contentHash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 13);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}
