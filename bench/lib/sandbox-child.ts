/**
 * The sandbox in a process of its own, so what it spends serving a burst is not charged to the
 * bench's parent (which seeds and polls) and it is one process shared by every phase of a bench, as
 * a real provider would be. Prints one JSON line `{"url": ...}` once listening; the parent resets it
 * and reads its stats through the admin API (`/__sandbox/reset`, `/__sandbox/stats`). Stops on
 * SIGTERM.
 *
 * argv: <config JSON> (a Partial<SandboxConfig>)
 */
import { startSandbox, type SandboxConfig } from '@pubcrawl/sandbox';

const config = JSON.parse(process.argv[2] ?? '{}') as Partial<SandboxConfig>;
const sandbox = await startSandbox({ port: 0, config });
process.once('SIGTERM', () => void sandbox.close().then(() => process.exit(0)));
console.log(JSON.stringify({ url: sandbox.url }));
