// Rendered images in memory, by content key: the most recently used few thousand, so a page
// showing the same label twice, a burst of API calls, or a task's labels sharing a few hundred
// images neither draw an image twice nor read its PNG from MySQL again.
export interface CachedImage {
  imageHash: string;
  png: Buffer;
  width: number;
  height: number;
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
