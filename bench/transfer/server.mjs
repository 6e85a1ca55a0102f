// The tus reference server for bench/transfer.sh: @tus/server with @tus/file-store, storing under <directory>, on
// 127.0.0.1:<port>, path /files. No checksum, no auth: what a plain tus 1.0 server does with the same bytes.
//
//   node server.mjs <port> <directory>
import http from 'node:http';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

const [port, directory] = process.argv.slice(2);
const tus = new Server({ path: '/files', datastore: new FileStore({ directory }) });
const server = http.createServer((req, res) => tus.handle(req, res));
server.listen(Number(port), '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
