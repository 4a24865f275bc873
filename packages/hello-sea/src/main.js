// One CommonJS file: Node's single-executable apps run a single script; files come as assets.
// fs.writeSync instead of console.log: Node's stdout pipe streams fail under wine, a plain write does not.
const fs = require('node:fs');
const sea = require('node:sea');

const say = (text) => fs.writeSync(1, text + '\n');
const args = process.argv.slice(2);
if (args[0] === '--version') {
  say(`hello-sea ${sea.getAsset('btm:version', 'utf8')}`);
} else {
  say(`${sea.getAsset('greeting.txt', 'utf8').trim()} ${JSON.stringify(args)}`);
}
