// SHA-256 of one File, read as a stream off the page's thread: a 10 GB file is never held in memory, and the page
// keeps answering while it is hashed. Posts the digest in hex, or { error } when the file cannot be read.
import { sha256 } from '../lib/noble-hashes/sha2.js';

self.onmessage = async ({ data: file }) => {
  try {
    const hash = sha256.create();
    const reader = file.stream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      hash.update(value);
    }
    const digest = hash.digest();
    self.postMessage({ hex: Array.from(digest, b => b.toString(16).padStart(2, '0')).join('') });
  } catch (error) {
    self.postMessage({ error: String(error) });
  }
};
