'use strict';
// BTM wrapper launcher: finds the platform package npm installed for this machine (an
// optionalDependency of this package) and runs its binary with arguments, stdio, exit code and
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

function binaryPath(binary) {
  const id = platformId();
  const pkg = release.packages[id];
  if (!pkg) {
    fail(`no build for this platform (${id}). This release supports: ${Object.keys(release.packages).join(', ')}.`);
  }
  let dir;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch (_) {
    fail(
      `the platform package ${pkg}@${release.version} is not installed.\n` +
        `npm installs it as an optional dependency on ${id}; it is missing after installing with ` +
        `--omit=optional (or --no-optional), from a lockfile made on another platform, or when the registry ` +
        `does not have it.\nReinstall with: npm install ${release.wrapper}@${release.version} --include=optional`
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

module.exports = { run, platformId };
