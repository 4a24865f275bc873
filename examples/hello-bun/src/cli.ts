// hello-bun greets whoever it is given: the TypeScript example of BTM's builders, compiled into one
// executable per platform with Bun's runtime inside.
import { greet } from "./greet";

// Defined at bundle time by BTM: the version the package ships as.
declare const BTM_VERSION: string;

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === "--version") {
  console.log(BTM_VERSION);
  process.exit(0);
}
console.log(`${greet(args[0] ?? "world")} (${process.platform}/${process.arch})`);
