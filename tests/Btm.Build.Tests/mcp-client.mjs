// A real MCP client (the TypeScript SDK) for McpServiceTests: starts `btm mcp` over stdio with the
// command line given after "--", runs the steps in the JSON file argv[2] and prints one JSON array
// of results. A step is { "tool", "args" } (a "$N.field" string takes step N's result field),
// { "poll": "$N.build_id" } (get_build_status until a final state), { "resource": "btm://…" },
// { "parallel": [steps…] }, { "kill_server": true } (ends the server the hard way, for restarts),
// a "$big:N" string becomes N letters 'a'; { "close_client": true } (this client goes away as an agent would: the server's stdin closes; then
// a new client starts a new server) or { "server_rss": true } (the server's resident memory, KiB).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(process.env.BTM_REPO + '/node_modules/');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = require('@modelcontextprotocol/sdk/client/stdio.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

const steps = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const command = process.argv.slice(process.argv.indexOf('--') + 1);
const final = new Set(['COMPLETED_SUCCESS', 'COMPLETED_FAILURE', 'CANCELLED', 'INTERRUPTED']);
const results = [];

const resolve = (value) => {
  // "$big:N": N letters 'a', made here so oversized inputs need no oversized steps file.
  if (typeof value === 'string' && /^\$big:\d+$/.test(value)) return 'a'.repeat(Number(value.slice(5)));
  if (typeof value === 'string' && /^\$\d+\./.test(value)) {
    const [index, ...path] = value.slice(1).split('.');
    return path.reduce((o, k) => o?.[k], results[Number(index)]);
  }
  if (Array.isArray(value)) return value.map(resolve);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
  return value;
};

// After "--": the server's command line (stdio), or its URL (streamable HTTP, token in BTM_MCP_TOKEN).
const connect = () => command[0].startsWith('http')
  ? new StreamableHTTPClientTransport(new URL(command[0]), { requestInit: { headers: { Authorization: `Bearer ${process.env.BTM_MCP_TOKEN}` } } })
  : new StdioClientTransport({ command: command[0], args: command.slice(1), stderr: 'pipe' });
let transport = connect();
let client = new Client({ name: 'btm-tests', version: '1.0.0' });
await client.connect(transport);

const call = async (name, args) => {
  const r = await client.callTool({ name, arguments: args ?? {} }, undefined, { timeout: 600000 });
  const text = r.content?.[0]?.text ?? '';
  if (r.isError) return { error: text };
  try { return JSON.parse(text); } catch { return { text }; }
};

const run = async (step) => {
  if (step.tool) return call(step.tool, resolve(step.args));
  if (step.poll) {
    const id = resolve(step.poll);
    const seen = [];
    for (let i = 0; i < (step.seconds ?? 600) * 4; i++) {
      const s = await call('get_build_status', { build_id: id });
      if (s.state && seen[seen.length - 1] !== s.state) seen.push(s.state);
      if (final.has(s.state) || s.error) return { ...s, seen_states: seen };
      await new Promise((r) => setTimeout(r, 250));
    }
    return { error: `build ${id} did not finish`, seen_states: seen };
  }
  if (step.wait_for_state) {
    const id = resolve(step.wait_for_state);
    for (let i = 0; i < 1200; i++) {
      const s = await call('get_build_status', { build_id: id });
      if (s.state === step.state && (!step.step_contains || (s.step ?? '').includes(step.step_contains))) return s;
      await new Promise((r) => setTimeout(r, 250));
    }
    return { error: `build ${id} never reached ${step.state}` };
  }
  if (step.resource) {
    const r = await client.readResource({ uri: resolve(step.resource) });
    return { text: r.contents[0].text };
  }
  if (step.parallel) return Promise.all(step.parallel.map(run));
  if (step.kill_server) {
    const pid = transport.pid;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    transport = connect();
    client = new Client({ name: 'btm-tests', version: '1.0.0' });
    await client.connect(transport);
    return { killed: pid };
  }
  if (step.close_client) {
    const pid = transport.pid;
    await client.close();
    // The old server ends on its own once its stdin closes; wait for it, as a later agent would not.
    for (let i = 0; i < 200; i++) {
      try { process.kill(pid, 0); } catch { break; }
      await new Promise((r) => setTimeout(r, 100));
    }
    transport = connect();
    client = new Client({ name: 'btm-tests', version: '1.0.0' });
    await client.connect(transport);
    return { closed: pid };
  }
  if (step.server_rss) {
    const status = readFileSync(`/proc/${transport.pid}/status`, 'utf8');
    return { rss_kib: Number(/VmRSS:\s+(\d+)/.exec(status)[1]) };
  }
  if (step.list_tools) return (await client.listTools()).tools.map((t) => t.name);
  throw new Error('unknown step ' + JSON.stringify(step));
};

for (const step of steps) results.push(await run(step));
await client.close();
console.log(JSON.stringify(results));
