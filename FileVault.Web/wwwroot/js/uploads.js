// The upload panel's browser side (what Blazor cannot do): reading dropped folders, picking files, sending them with
// tus-js-client to /api/v1/uploads under the page's cookie (its Tus-Resumable header and the page's Origin pass the
// API's CSRF rule), hashing each file in a worker while it is sent, and reporting to the panel (UploadSession in .NET),
// which draws progress and asks the questions. Files live only here: the server learns names, sizes and bytes.
import '../lib/tus-js-client/tus.min.js';

const endpoint = '/api/v1/uploads';
// The bytes per request: the server's FileVault-Chunk-Size (FileVault:Uploads:ChunkBytes), read by init.
let chunkSize = 8 * 1024 * 1024;
// About two minutes of retries: enough to ride over an app restart (a killed process's lease lapses within seconds).
const retryDelays = [0, 1000, 3000, 5000, 10000, 15000, 30000, 60000];
const parallel = 3;
// Our fingerprints in tus's localStorage entries; entries of other clients are left alone.
const prefix = 'fv1|';
const emptySha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

let panel = null;
let maxSize = Number.POSITIVE_INFINITY;
const records = new Map();
const queue = [];
let running = 0;
const changed = new Set();
let flushing = null;

/**
 * Connects the panel; answers the largest file the server takes (Tus-Max-Size), takes its chunk size and lists unfinished
 * uploads of earlier pages.
 */
export async function init(session) {
  panel = session;
  const options = await fetch(endpoint, { method: 'OPTIONS' });
  maxSize = Number(options.headers.get('Tus-Max-Size')) || Number.POSITIVE_INFINITY;
  chunkSize = Number(options.headers.get('FileVault-Chunk-Size')) || chunkSize;
  if (!window.fvUploadPicks) {
    // The menu's items open the hidden inputs in the user's own click: a round trip to the server would lose it.
    window.fvUploadPicks = true;
    document.addEventListener('click', e => {
      const pick = e.target.closest?.('[data-upload-pick]');
      if (pick) {
        document.getElementById(pick.dataset.uploadPick === 'folder' ? 'upload-folder-input' : 'upload-files-input')?.click();
      }
    });
  }
  for (const [id, stored] of storedUploads()) {
    if (!records.has(id)) {
      const path = stored.metadata.relativePath || stored.metadata.filename;
      records.set(id, record(id, Number(stored.metadata.destination), path, stored.size, null, 'waiting'));
    }
  }
  await report([...records.values()].map(describe), 'Added');
  return maxSize === Number.POSITIVE_INFINITY ? -1 : maxSize;
}

/**
 * Makes a folder's list (and the subfolder rows in it) take dropped files and folders, and its inputs send what is
 * picked; with no folder (one the user may not write) a drop is refused, rather than opening the file in the tab.
 */
export function attach(element, folderId) {
  if (!element) {
    return;
  }
  element.dataset.uploadFolder = folderId == null ? '' : String(folderId);
  if (element.fvUploadsAttached) {
    return;
  }
  element.fvUploadsAttached = true;
  const carriesFiles = e => e.dataTransfer && [...e.dataTransfer.types].includes('Files');
  const targetOf = node => {
    const row = node.closest?.('[data-entry-id][data-folder]');
    return row && element.contains(row) ? Number(row.dataset.entryId) : Number(element.dataset.uploadFolder);
  };
  let marked = null;
  const mark = node => {
    marked?.classList.remove('fv-upload-target');
    marked = node;
    marked?.classList.add('fv-upload-target');
  };
  element.addEventListener('dragover', e => {
    if (!carriesFiles(e)) {
      return;
    }
    e.preventDefault();
    if (!element.dataset.uploadFolder) {
      e.dataTransfer.dropEffect = 'none';
      return;
    }
    e.dataTransfer.dropEffect = 'copy';
    mark(e.target.closest?.('[data-entry-id][data-folder]') ?? element);
  });
  element.addEventListener('dragleave', e => {
    if (!element.contains(e.relatedTarget)) {
      mark(null);
    }
  });
  element.addEventListener('drop', e => {
    if (!carriesFiles(e)) {
      return;
    }
    e.preventDefault();
    e.stopPropagation();
    mark(null);
    if (!element.dataset.uploadFolder) {
      return;
    }
    const target = targetOf(e.target);
    // The items are readable only during the event: take their entries now, read them after.
    const entries = [...e.dataTransfer.items].filter(i => i.kind === 'file').map(i => i.webkitGetAsEntry?.() ?? i.getAsFile());
    readDropped(entries).then(({ files, folders }) => send(target, files, folders)).catch(error => console.error('upload drop', error));
  });
  // Delegated: the inputs come and go with the user's right to write here.
  element.addEventListener('change', e => {
    const input = e.target;
    if (!input.matches?.('input[data-upload-input]') || !element.dataset.uploadFolder) {
      return;
    }
    // A folder picked through webkitdirectory names each file by its path under the folder's parent. Browsers leave
    // its empty folders out; a dropped folder keeps them.
    const files = [...input.files].map(file => ({ file, path: file.webkitRelativePath || file.name }));
    input.value = '';
    send(Number(element.dataset.uploadFolder), files, []).catch(error => console.error('upload pick', error));
  });
}

export function pause(id) {
  const rec = records.get(id);
  if (rec?.status === 'uploading') {
    rec.upload.abort(false);
    finishRun(rec, 'paused');
  } else if (rec?.status === 'queued') {
    dequeue(rec);
    update(rec, 'paused');
  }
}

export function resume(id) {
  const rec = records.get(id);
  if (rec?.status === 'paused' || rec?.status === 'failed') {
    enqueue(rec);
  }
}

export async function cancel(id) {
  const rec = records.get(id);
  if (!rec || rec.status === 'done' || rec.status === 'canceled') {
    return;
  }
  const wasRunning = rec.status === 'uploading';
  dequeue(rec);
  rec.worker?.terminate();
  update(rec, 'canceled');
  if (wasRunning) {
    running--;
    pump();
  }
  // The server deletes what it stored (tus termination) and the fingerprint goes, so nothing waits to resume.
  try {
    if (rec.upload) {
      await rec.upload.abort(true);
    }
    for (const [key, stored] of storedEntries(id)) {
      await tus.Upload.terminate(stored.uploadUrl, { headers: {} }).catch(() => {});
      localStorage.removeItem(key);
    }
  } catch (error) {
    console.warn('upload cancel', error);
  }
}

export function pauseAll() {
  for (const rec of records.values()) {
    pause(rec.id);
  }
}

export function resumeAll() {
  for (const rec of records.values()) {
    if (rec.status === 'paused') {
      enqueue(rec);
    }
  }
}

export async function cancelAll() {
  await Promise.all([...records.keys()].map(cancel));
}

/** Forgets finished, canceled and (their bytes dropped on the server) failed uploads. */
export function clear(ids) {
  for (const id of ids) {
    records.delete(id);
  }
}

// ---- reading what was dropped ----

/** Files with their paths under the drop ("a/b/c.txt") and the folders that hold nothing ("a/empty"). */
async function readDropped(entries) {
  const files = [];
  const folders = [];
  const walk = async (entry, base) => {
    if (entry instanceof File) {
      files.push({ file: entry, path: entry.name });
    } else if (entry.isFile) {
      files.push({ file: await new Promise((ok, fail) => entry.file(ok, fail)), path: base + entry.name });
    } else if (entry.isDirectory) {
      // readEntries answers in batches (100 at a time in Chrome) until an empty one.
      const reader = entry.createReader();
      const children = [];
      for (;;) {
        const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
        if (batch.length === 0) {
          break;
        }
        children.push(...batch);
      }
      if (children.length === 0) {
        folders.push(base + entry.name);
      }
      for (const child of children) {
        await walk(child, base + entry.name + '/');
      }
    }
  };
  for (const entry of entries.filter(Boolean)) {
    await walk(entry, '');
  }
  return { files, folders };
}

// ---- planning: limits, taken names, empty folders ----

async function send(folderId, files, folders) {
  if (!panel || (files.length === 0 && folders.length === 0)) {
    return;
  }
  // Taken names are asked about once for the whole drop, before any byte is sent: every file's path goes to the
  // server's preflight; skip, keep both or replace, for all or per file. Folders merge, so empty ones are always made.
  const plan = Date.now().toString(36) + Math.random().toString(36).slice(2);
  // Batches well under the circuit's 32 KB message limit, whatever the paths' lengths (3 bytes a UTF-16 unit at most).
  const paths = files.map(f => f.path);
  for (let i = 0; i < paths.length;) {
    const batch = [];
    for (let bytes = 0; i < paths.length && (batch.length === 0 || bytes + paths[i].length * 3 + 4 <= 16000); i++) {
      bytes += paths[i].length * 3 + 4;
      batch.push(paths[i]);
    }
    await panel.invokeMethodAsync('CollectTakenAsync', plan, folderId, batch);
  }
  const answer = await panel.invokeMethodAsync('AskAsync', plan, folderId);
  if (answer === null) {
    return;
  }
  const skip = new Set(answer.skip);
  const renamed = new Map(Object.entries(answer.rename));
  const replace = new Set(answer.replace);
  const kept = files.filter(f => !skip.has(f.path))
    .map(f => ({ file: f.file, path: renamed.get(f.path) ?? f.path, replacing: replace.has(f.path) }));
  for (let i = 0; i < folders.length; i += 50) {
    await panel.invokeMethodAsync('CreateFoldersAsync', folderId, folders.slice(i, i + 50));
  }
  const added = [];
  for (const { file, path, replacing } of kept) {
    const id = prefix + [folderId, encodeURIComponent(path), file.size, file.lastModified].join('|');
    let rec = records.get(id);
    if (rec && (rec.status === 'uploading' || rec.status === 'queued')) {
      continue;
    }
    rec = record(id, folderId, path, file.size, file, 'queued');
    rec.replace = replacing;
    records.set(id, rec);
    // Refused before any byte moves.
    if (file.size > maxSize) {
      rec.status = 'failed';
      rec.error = 'upload.too_large';
    }
    added.push(describe(rec));
  }
  await report(added, 'Added');
  for (const item of added) {
    const rec = records.get(item.id);
    if (rec.status === 'queued') {
      queue.push(rec);
    }
  }
  pump();
}

// ---- sending ----

function record(id, folderId, path, size, file, status) {
  const name = path.split('/').pop();
  return { id, folderId, path, name, size, file, status, sent: 0, error: null, speed: 0, upload: null, hash: null, worker: null, sample: null };
}

function enqueue(rec) {
  if (!rec.file) {
    return;
  }
  rec.error = null;
  update(rec, 'queued');
  queue.push(rec);
  pump();
}

function dequeue(rec) {
  const at = queue.indexOf(rec);
  if (at >= 0) {
    queue.splice(at, 1);
  }
}

function pump() {
  while (running < parallel && queue.length > 0) {
    start(queue.shift());
  }
}

function finishRun(rec, status) {
  rec.worker?.terminate();
  rec.worker = null;
  rec.hash = null;
  rec.speed = 0;
  update(rec, status);
  running--;
  pump();
}

function start(rec) {
  running++;
  rec.sample = null;
  update(rec, 'uploading');
  rec.hash = hashOf(rec);
  // Awaited by the last chunk; a run paused before it must not leave an unhandled rejection behind.
  rec.hash.catch(() => {});
  const upload = new tus.Upload(rec.file, {
    endpoint,
    chunkSize,
    retryDelays,
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    fingerprint: () => Promise.resolve(rec.id),
    metadata: {
      filename: rec.name,
      destination: String(rec.folderId),
      ...(rec.path.includes('/') ? { relativePath: rec.path } : {}),
      // The user chose replace before sending: the file holding the name goes to the trash when this one is complete.
      ...(rec.replace ? { onConflict: 'replace' } : {}),
    },
    // The first chunk goes with the creation (tus creation-with-upload): a file of one chunk is one request, created,
    // checked and placed at once.
    uploadDataDuringCreation: true,
    // The whole file's SHA-256 goes with the chunk that completes the upload; the worker has hashed it meanwhile.
    onBeforeRequest: async req => {
      const method = req.getMethod();
      const offset = method === 'POST' ? 0 : Number(req.getHeader('Upload-Offset'));
      if ((method === 'POST' || method === 'PATCH') && offset + chunkSize >= rec.size) {
        req.setHeader('FileVault-Sha256', await rec.hash);
      }
    },
    onShouldRetry: (error, attempt, options) => {
      const status = error.originalResponse?.getStatus() ?? 0;
      const code = codeOf(error);
      // A lock held by a PATCH in flight (or by a process that died) lapses; offsets are re-read; 5xx pass, but a full disk waits for Retry.
      return status === 0 || status === 423 || code === 'upload.offset_mismatch' || (status >= 500 && status !== 507);
    },
    onProgress: sent => progress(rec, sent),
    onSuccess: () => {
      if (rec.size === 0) {
        completeEmpty(rec, upload.url);
        return;
      }
      rec.sent = rec.size;
      finishRun(rec, 'done');
    },
    onError: error => {
      if (rec.status !== 'uploading') {
        return;
      }
      rec.error = codeOf(error) ?? 'network';
      finishRun(rec, 'failed');
    },
  });
  rec.upload = upload;
  upload.findPreviousUploads().then(previous => {
    // Paused or cancelled while the browser looked for it: it stays so.
    if (rec.upload !== upload || rec.status !== 'uploading') {
      return;
    }
    if (previous.length > 0) {
      upload.resumeFromPreviousUpload(previous[0]);
    }
    upload.start();
  });
}

/** tus-js-client creates an empty file's upload and stops: one empty PATCH completes it. */
async function completeEmpty(rec, url) {
  try {
    const response = await fetch(url, {
      method: 'PATCH',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'FileVault-Sha256': emptySha256 },
      body: new Uint8Array(0),
    });
    rec.error = response.ok ? null : (await response.json().catch(() => ({}))).code ?? `http.${response.status}`;
  } catch {
    rec.error = 'network';
  }
  finishRun(rec, rec.error ? 'failed' : 'done');
}

function hashOf(rec) {
  const worker = new Worker(new URL('./sha256-worker.js', import.meta.url), { type: 'module' });
  rec.worker = worker;
  return new Promise((ok, fail) => {
    worker.onmessage = ({ data }) => {
      worker.terminate();
      if (data.hex) {
        ok(data.hex);
      } else {
        fail(new Error(data.error));
      }
    };
    worker.onerror = e => fail(new Error(e.message));
    worker.postMessage(rec.file);
  });
}

function progress(rec, sent) {
  const now = performance.now();
  if (rec.sample) {
    const seconds = (now - rec.sample.at) / 1000;
    if (seconds >= 0.5) {
      const speed = (sent - rec.sample.sent) / seconds;
      rec.speed = rec.speed ? rec.speed * 0.7 + speed * 0.3 : speed;
      rec.sample = { at: now, sent };
    }
  } else {
    rec.sample = { at: now, sent };
  }
  rec.sent = sent;
  update(rec, rec.status);
}

function codeOf(error) {
  try {
    return JSON.parse(error.originalResponse?.getBody() ?? '').code ?? null;
  } catch {
    const status = error.originalResponse?.getStatus();
    return status ? `http.${status}` : null;
  }
}

// ---- reporting to the panel ----

function describe(rec) {
  return { id: rec.id, folderId: rec.folderId, path: rec.path, name: rec.name, size: rec.size, sent: rec.sent, status: rec.status,
    error: rec.error, speed: Math.round(rec.speed), hasFile: rec.file !== null };
}

function update(rec, status) {
  rec.status = status;
  changed.add(rec.id);
  flushing ??= new Promise(done => setTimeout(done, 300)).then(async () => {
    const batch = [...changed].map(id => records.get(id)).filter(Boolean).map(describe);
    changed.clear();
    flushing = null;
    await report(batch, 'Updated');
  });
}

/** In batches: one message to the server must stay under the circuit's 32 KB. */
async function report(items, method) {
  for (let i = 0; i < items.length; i += 50) {
    await panel?.invokeMethodAsync(method, items.slice(i, i + 50));
  }
}

// ---- tus-js-client's fingerprints in localStorage ----

function storedEntries(id) {
  const found = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (key?.startsWith('tus::' + id + '::')) {
      try {
        found.push([key, JSON.parse(localStorage.getItem(key))]);
      } catch {
        // Not one of ours after all.
      }
    }
  }
  return found;
}

function storedUploads() {
  const found = new Map();
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (key?.startsWith('tus::' + prefix)) {
      const id = key.slice(5, key.lastIndexOf('::'));
      try {
        const stored = JSON.parse(localStorage.getItem(key));
        if (stored?.metadata?.destination) {
          found.set(id, stored);
        }
      } catch {
        // Left by something else.
      }
    }
  }
  return found;
}
