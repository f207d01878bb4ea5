// Thumbnails of sent images: fetched once per attachment with the bearer token (an <img> cannot send
// it), or taken from the draft chip's preview when this tab sent the image.

import { createContext } from "preact";

export class Thumbnails {
  private readonly urls = new Map<string, Promise<string | null>>();

  constructor(private readonly fetchImage: (id: string) => Promise<Blob>) {}

  /** A draft's preview (an object URL the draft revokes later): copied, so this one outlives it. */
  seed(id: string, previewUrl: string): void {
    if (this.urls.has(id)) return;
    this.urls.set(id, this.toUrl(fetch(previewUrl).then((r) => r.blob()), id));
  }

  get(id: string): Promise<string | null> {
    let url = this.urls.get(id);
    if (!url) {
      url = this.toUrl(this.fetchImage(id), id);
      this.urls.set(id, url);
    }
    return url;
  }

  dispose(): void {
    for (const url of this.urls.values()) void url.then((u) => u && URL.revokeObjectURL(u));
    this.urls.clear();
  }

  private toUrl(blob: Promise<Blob>, id: string): Promise<string | null> {
    return blob
      .then((b) => URL.createObjectURL(b))
      .catch(() => {
        this.urls.delete(id); // not shown this time; a later render may try again
        return null;
      });
  }
}

export const ThumbnailsContext = createContext<Thumbnails | null>(null);
