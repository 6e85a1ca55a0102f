// The client side of bench/transfer.sh: tus-js-client 4.3.1 in node, as FileVault.Web/wwwroot/js/uploads.js uses it
// (chunks of the UI's size, the first with the creation, three files at a time, metadata filename + destination, the whole
// file's SHA-256 sent with the last chunk in FileVault-Sha256). Prints one JSON line: {"seconds": ..., "files": ..., "bytes": ..., "url": ...}
// (small: "cpu_ms", the client process's CPU time while it sent).
//
//   node client.mjs big <endpoint> <token|-> <file> <folderId|-> <sha256> <name>
//   node client.mjs small <endpoint> <token|-> <directory> <folderId|-> <prefix>
// A token of "-" sends no Authorization; a folder id of "-" no destination (the reference server ignores both).
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { Upload } from 'tus-js-client';

// The UI's chunk size: the FileVault-Chunk-Size the app announces (bench/transfer.sh reads it and passes it on).
const chunkSize = Number(process.env.FILEVAULT_CHUNK_BYTES);
if (!(chunkSize > 0)) {
  console.error('FILEVAULT_CHUNK_BYTES (the app\'s FileVault-Chunk-Size) is not set');
  process.exit(2);
}
const parallel = 3;
const [mode, endpoint, token, source, folderId, ...rest] = process.argv.slice(2);

/** One upload of `input` (a Buffer or a stream) of `size` bytes; resolves with its URL, rejects on a failure. */
function upload(input, size, name, sha256) {
  return new Promise((resolve, reject) => {
    const tus = new Upload(input, {
      endpoint,
      chunkSize,
      uploadSize: size,
      retryDelays: [],
      storeFingerprintForResuming: false,
      headers: token === '-' ? {} : { Authorization: `Bearer ${token}` },
      metadata: { filename: name, ...(folderId === '-' ? {} : { destination: folderId }) },
      // As the UI: the first chunk goes with the creation (tus creation-with-upload, which both servers announce), so a
      // file of one chunk is one request.
      uploadDataDuringCreation: true,
      // As the UI: the digest goes with the request that completes the file.
      onBeforeRequest: req => {
        const offset = req.getMethod() === 'POST' ? 0 : Number(req.getHeader('Upload-Offset'));
        if (offset + chunkSize >= size) {
          req.setHeader('FileVault-Sha256', sha256);
        }
      },
      onSuccess: () => resolve(tus.url),
      onError: reject,
    });
    tus.start();
  });
}

const started = process.hrtime.bigint();
const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
if (mode === 'big') {
  const [sha256, name] = rest;
  const size = fs.statSync(source).size;
  const url = await upload(fs.createReadStream(source, { highWaterMark: 1024 * 1024 }), size, name, sha256);
  console.log(JSON.stringify({ seconds: elapsed(), files: 1, bytes: size, url }));
} else if (mode === 'small') {
  const [prefix] = rest;
  // Read and hashed before the clock starts: the browser's worker hashes while it sends, off the request path.
  const files = fs.readdirSync(source).sort().map(name => {
    const data = fs.readFileSync(path.join(source, name));
    return { name: `${prefix}${name}`, data, sha256: crypto.createHash('sha256').update(data).digest('hex') };
  });
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let next = 0, bytes = 0;
  async function worker() {
    while (next < files.length) {
      const file = files[next++];
      await upload(file.data, file.data.length, file.name, file.sha256);
      bytes += file.data.length;
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker));
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, files: files.length, bytes, cpu_ms: (cpu.user + cpu.system) / 1000 }));
} else {
  console.error('usage: node client.mjs big|small ...');
  process.exit(2);
}
