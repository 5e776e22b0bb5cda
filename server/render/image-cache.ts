// Rendered images in memory, by content key: the most recently used few hundred, so a page
// showing the same label twice or a burst of API calls does not touch MySQL for the PNG.
export interface CachedImage {
  imageHash: string;
  png: Buffer;
}

export class ImageLru {
  private readonly map = new Map<string, CachedImage>();
  constructor(private readonly max: number) {}

  get(key: string): CachedImage | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, v: CachedImage) {
    this.map.delete(key);
    this.map.set(key, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
}
