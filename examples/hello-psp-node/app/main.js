// A Node CLI shipped as a signed self-contained package: the launcher runs the Node runtime slot
// with this file; BTM_PACKAGE_NAME and BTM_PACKAGE_VERSION come from the package's metadata.
const name = process.env.BTM_PACKAGE_NAME;
const version = process.env.BTM_PACKAGE_VERSION;
const args = process.argv.slice(2);
if (args[0] === '--version') {
  console.log(`${name} ${version}`);
} else {
  console.log(`hello from ${name} ${version} on Node ${process.version} (${process.platform}-${process.arch})${args.length ? ': ' + args.join(' ') : ''}`);
}
