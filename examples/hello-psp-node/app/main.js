// A Node CLI shipped as a signed self-contained package: the launcher runs the Node runtime slot
// with this file; BTM_PACKAGE_NAME and BTM_PACKAGE_VERSION come from the package's metadata.
// fs.writeSync rather than console.log: Node's pipe streams fail under wine, where the win32
// target is tested.
const fs = require('fs');
const say = (line) => fs.writeSync(1, line + '\n');
const name = process.env.BTM_PACKAGE_NAME;
const version = process.env.BTM_PACKAGE_VERSION;
const args = process.argv.slice(2);
if (args[0] === '--version') {
  say(`${name} ${version}`);
} else {
  say(`hello from ${name} ${version} on Node ${process.version} (${process.platform}-${process.arch})${args.length ? ': ' + args.join(' ') : ''}`);
}
