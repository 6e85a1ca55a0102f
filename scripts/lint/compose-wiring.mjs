// What a schema cannot see in the compose files (run by scripts/check-deploy.sh):
// - every variable they read without a default is one .env.example lists, so a new setting is not a surprise;
// - the `search` profile is wired: Meilisearch under the profile with a named volume, a health check and the master
//   key from the env file, and the app pointed at it by FILEVAULT_MEILI_URL with that key.
// Parsed with `yaml`, the parser dclint itself uses (installed with it from package-lock.json).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";

const dir = process.argv[2];
const problems = [];
const envExample = readFileSync(join(dir, ".env.example"), "utf8");
const listed = new Set([...envExample.matchAll(/^#?\s*([A-Z_][A-Z0-9_]*)=/gm)].map(m => m[1]));

for (const file of readdirSync(dir).filter(f => /^docker-compose.*\.yml$/.test(f))) {
  const text = readFileSync(join(dir, file), "utf8");
  // ${NAME}, ${NAME:?message} and ${NAME?message} need a value; ${NAME:-default} and ${NAME-default} do not.
  for (const m of text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(:?[-?+])?/g)) {
    const [, name, op] = m;
    if ((op === undefined || op.endsWith("?")) && !listed.has(name)) {
      problems.push(`${file}: \${${name}} has no default and .env.example does not list it`);
    }
  }
}

const base = YAML.parse(readFileSync(join(dir, "docker-compose.yml"), "utf8"));
const meili = base.services?.meilisearch;
const refers = (value, name) => typeof value === "string" && value.includes("${" + name);
if (!meili) {
  problems.push("docker-compose.yml: no meilisearch service");
} else {
  if (!String(meili.image ?? "").startsWith("getmeili/meilisearch:")) problems.push("meilisearch: not the getmeili/meilisearch image");
  if (!(meili.profiles ?? []).includes("search")) problems.push("meilisearch: not in the `search` profile");
  const data = (meili.volumes ?? []).map(v => (typeof v === "string" ? v.split(":") : [v.source, v.target]))
    .find(([, target]) => target === "/meili_data");
  if (!data || !Object.hasOwn(base.volumes ?? {}, data[0])) problems.push("meilisearch: /meili_data is not on a named volume");
  if (!meili.healthcheck?.test) problems.push("meilisearch: no health check");
  if (!refers(meili.environment?.MEILI_MASTER_KEY, "MEILI_MASTER_KEY")) problems.push("meilisearch: MEILI_MASTER_KEY not from the env file");
}

const appEnv = base.services?.app?.environment ?? {};
if (!refers(appEnv.FileVault__Search__Meilisearch__Url, "FILEVAULT_MEILI_URL")) {
  problems.push("app: FileVault__Search__Meilisearch__Url is not set from FILEVAULT_MEILI_URL");
}
if (!refers(appEnv.FileVault__Search__Meilisearch__ApiKey, "FILEVAULT_MEILI_API_KEY") || !String(appEnv.FileVault__Search__Meilisearch__ApiKey).includes("MEILI_MASTER_KEY")) {
  problems.push("app: FileVault__Search__Meilisearch__ApiKey is not FILEVAULT_MEILI_API_KEY or else the master key");
}
for (const name of ["COMPOSE_PROFILES", "FILEVAULT_MEILI_URL", "MEILI_MASTER_KEY"]) {
  if (!listed.has(name)) problems.push(`.env.example: ${name} is missing (the search profile needs it)`);
}

for (const problem of problems) console.log(problem);
process.exit(problems.length === 0 ? 0 : 1);
