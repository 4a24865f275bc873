// btm-binary-name: btm-package-description

// Defined at bundle time by BTM: the version the package ships as.
declare const BTM_VERSION: string;

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === "--version") {
  console.log(`btm-binary-name ${BTM_VERSION}`);
  process.exit(0);
}
console.log("Hello from btm-binary-name");
