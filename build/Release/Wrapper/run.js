'use strict';
// BTM wrapper launcher: finds the platform package the client (npm, pnpm, yarn, bun) installed for
// this machine (an optionalDependency of this package; some clients install the musl one beside
// the glibc one, so the choice is made here, by the running libc) and runs its binary with arguments, stdio, exit code and
// signals passed through. platforms.json beside this file lists what this release contains.
const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const release = require('./platforms.json');

function libc() {
  if (process.platform !== 'linux') return null;
  try {
    const report = process.report && process.report.getReport();
    const header = typeof report === 'string' ? JSON.parse(report).header : report && report.header;
    if (header && header.glibcVersionRuntime) return 'glibc';
  } catch (_) {
    // fall through to the loader check
  }
  try {
    if (fs.readdirSync('/lib').some((f) => f.startsWith('ld-musl-'))) return 'musl';
  } catch (_) {
    // no /lib: not musl
  }
  return 'glibc';
}

function platformId() {
  return `${process.platform}-${process.arch}${libc() === 'musl' ? '-musl' : ''}`;
}

function fail(message) {
  process.stderr.write(`${release.wrapper}: ${message}\n`);
  process.exit(1);
}

// Which client installed this package, from where it sits and the lockfile beside the project:
// each one leaves optional dependencies out for its own reasons and has its own fix.
function installer() {
  const here = __dirname.split(path.sep).join('/');
  if (here.includes('/node_modules/.pnpm/')) return 'pnpm';
  if (here.includes('/.yarn/')) return 'yarn-berry';
  let dir = __dirname;
  for (;;) {
    const has = (f) => fs.existsSync(path.join(dir, f));
    if (has('pnpm-lock.yaml')) return 'pnpm';
    if (has('bun.lockb') || has('bun.lock')) return 'bun';
    if (has('yarn.lock')) return has('.yarnrc.yml') ? 'yarn-berry' : 'yarn';
    if (has('package-lock.json') || has('npm-shrinkwrap.json')) return 'npm';
    const parent = path.dirname(dir);
    if (parent === dir) return 'npm';
    dir = parent;
  }
}

function reinstallHint(id) {
  const spec = `${release.wrapper}@${release.version}`;
  switch (installer()) {
    case 'pnpm':
      return `pnpm installs it unless --no-optional was given or pnpm.supportedArchitectures leaves out ${id}.\nReinstall with: pnpm add ${spec}`;
    case 'yarn':
      return `yarn 1 installs it unless --ignore-optional was given.\nReinstall with: yarn add ${spec} --check-files`;
    case 'yarn-berry':
      return `yarn installs it when supportedArchitectures in .yarnrc.yml includes this machine's os, cpu and libc ("current").\nReinstall with: yarn add ${spec}`;
    case 'bun':
      return `bun installs it unless --omit=optional was given.\nReinstall with: bun add ${spec}`;
    default:
      return `npm leaves it out after --omit=optional (or --no-optional), or with a lockfile made on another platform.\nReinstall with: npm install ${spec} --include=optional`;
  }
}

function binaryPath(binary) {
  const id = platformId();
  const pkg = release.packages[id];
  if (!pkg) {
    fail(`not built for ${id}: ${release.wrapper}@${release.version} is built for ${Object.keys(release.packages).join(', ')}.`);
  }
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch (_) {
    fail(
      `the platform package ${pkg}@${release.version} is not installed: it is an optional dependency, ` +
        `installed only on ${id}, and it is missing here (or the registry does not have it).\n${reinstallHint(id)}`
    );
  }
  const file = path.join(dir, 'bin', process.platform === 'win32' ? `${binary}.exe` : binary);
  if (!fs.existsSync(file)) fail(`${pkg} is installed but has no ${path.relative(dir, file)}; reinstall ${release.wrapper}.`);
  return file;
}

function run(binary) {
  const child = childProcess.spawn(binaryPath(binary), process.argv.slice(2), { stdio: 'inherit' });
  // Signals sent to this process (not just to the terminal's process group) reach the binary too.
  const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'].filter(
    (s) => process.platform !== 'win32' || s === 'SIGINT'
  );
  const handlers = forwarded.map((signal) => {
    const handler = () => child.kill(signal);
    process.on(signal, handler);
    return [signal, handler];
  });
  child.on('error', (error) => fail(`could not start ${binary}: ${error.message}`));
  child.on('exit', (code, signal) => {
    for (const [s, h] of handlers) process.removeListener(s, h);
    if (signal) {
      // Die of the same signal, so the caller sees what the binary saw.
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code === null ? 1 : code);
  });
}

module.exports = { run, platformId, installer, binaryPath };
