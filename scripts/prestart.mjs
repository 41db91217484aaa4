// `npm start`: installs the npm packages and builds the service only when something changed since
// the last time, so a restart takes a second and never rebuilds under a copy that is running.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const at = (...parts) => path.join(root, ...parts);

/** The newest modification time of these files and of everything under these folders (0: none). */
function newest(paths) {
  let time = 0;
  for (const entry of paths) {
    if (!existsSync(entry)) continue;
    const stat = statSync(entry);
    time = Math.max(time, stat.isDirectory() ? newest(readdirSync(entry).map((name) => path.join(entry, name))) : stat.mtimeMs);
  }
  return time;
}

function run(what, command, args) {
  console.error(what);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const installed = at('node_modules', '.package-lock.json'); // npm writes it at every install
if (newest([installed]) < newest([at('package.json'), at('package-lock.json'), at('whatsapp-service', 'package.json')])) {
  run('Installing the npm packages (the first time takes a minute or two) …', 'npm', ['install', '--no-audit', '--no-fund', '--loglevel=error']);
}

const built = at('whatsapp-service', 'dist', '.built');
const sources = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((name) => at('whatsapp-service', name));
if (!existsSync(at('whatsapp-service', 'dist', 'main.js')) || newest([built]) < newest([...sources, installed])) {
  run('Building the service …', process.execPath, [at('node_modules', 'typescript', 'bin', 'tsc'), '-p', at('whatsapp-service', 'tsconfig.build.json')]);
  writeFileSync(built, `${new Date().toISOString()}\n`);
}
