import { startSandbox, type RunningSandbox, type SandboxConfig } from '@pubcrawl/sandbox';

/** A private sandbox on a random loopback port, so parallel test files never share quota or stats. */
export async function testSandbox(config: Partial<SandboxConfig> = {}): Promise<RunningSandbox> {
  return startSandbox({ port: 0, host: '127.0.0.1', config });
}
