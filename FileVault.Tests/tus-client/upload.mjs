// Drives the real tus-js-client (Node) against a running FileVault, as a script with a personal access token would:
// uploads a file in chunks, aborts after the chunk that passes `abortAfter` bytes, then resumes from the URL the client
// stored for the file's fingerprint and finishes. Prints one JSON line with what the test checks.
//
//   node upload.mjs <endpoint> <token> <file> <folderId> <urlStorageFile> <chunkSize> <abortAfter> <sha256>
import fs from 'node:fs';
import path from 'node:path';
import { Upload, FileUrlStorage } from 'tus-js-client';

const [endpoint, token, file, folderId, storageFile, chunkSize, abortAfter, sha256] = process.argv.slice(2);
const urlStorage = new FileUrlStorage(storageFile);
const events = [];

function options(extra) {
  return {
    endpoint,
    chunkSize: Number(chunkSize),
    headers: { Authorization: `Bearer ${token}` },
    metadata: { filename: path.basename(file), destination: folderId, sha256 },
    urlStorage,
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    retryDelays: [0, 250, 1000],
    onAfterResponse(req, res) {
      events.push({ method: req.getMethod(), status: res.getStatus(), offset: res.getHeader('Upload-Offset') ?? null, entryId: res.getHeader('FileVault-Entry-Id') ?? null });
    },
    ...extra,
  };
}

// First run: stop after the chunk that passes abortAfter bytes, leaving the upload on the server (abort(false)).
const firstUrl = await new Promise((resolve, reject) => {
  const upload = new Upload(fs.createReadStream(file), options({
    onChunkComplete(_size, accepted) {
      if (accepted >= Number(abortAfter)) {
        upload.abort(false).then(() => resolve(upload.url), reject);
      }
    },
    onSuccess: () => reject(new Error('the first run finished; it should have been aborted')),
    onError: reject,
  }));
  upload.start();
});

// Second run: a new client object, as after a restart, finds the stored URL by the file's fingerprint and resumes.
const second = new Upload(fs.createReadStream(file), options({}));
const previous = await second.findPreviousUploads();
if (previous.length !== 1) {
  throw new Error(`expected one stored upload for the file, found ${previous.length}`);
}
second.resumeFromPreviousUpload(previous[0]);
await new Promise((resolve, reject) => {
  second.options.onSuccess = resolve;
  second.options.onError = reject;
  second.start();
});

console.log(JSON.stringify({ firstUrl, secondUrl: second.url, events }));
