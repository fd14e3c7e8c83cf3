// Tests of sandbox-client.mjs against the real binaries ($SR_BIN_DIR) and the
// real daemon, with the locally built busybox test image (--pull never); egress
// off (an empty SANDBOX_RUN_HOME), and a refusal with egress enabled but not
// set up. Run: SR_BIN_DIR=build/bin node --test examples/node/
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CommandNotExecutable, CommandNotFound, EgressNotReady, LauncherError, SandboxClient, SandboxRefused,
} from './sandbox-client.mjs';

const binDir = process.env.SR_BIN_DIR ?? fileURLToPath(new URL('../../build/bin', import.meta.url));
const BUSYBOX = process.env.SR_TEST_IMAGE ?? 'sandbox-run-test/busybox:latest';
const PROVIDER = /^(OPENAI|ANTHROPIC|GEMINI|GOOGLE|OPENROUTER|GROQ|TOGETHER|DEEPSEEK|MISTRAL|XAI|NOUS|AZURE|AWS_)/;

describe('SandboxClient, egress off', () => {
  let root;
  let home;
  let client;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'sr-example-node-'));
    home = join(root, 'home');
    mkdirSync(home);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !PROVIDER.test(k)));
    client = new SandboxClient({
      sandboxRun: join(binDir, 'sandbox-run'),
      sandboxEgress: join(binDir, 'sandbox-egress'),
      env: { ...env, SANDBOX_RUN_HOME: home, HOME: root },
    });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('preflight reports egress off', async () => {
    const status = await client.preflight({ requireEgress: false });
    assert.equal(status.enabled, false);
    await assert.rejects(client.preflight(), (e) => e instanceof EgressNotReady && /egress is disabled/.test(e.message));
  });

  test('streams output and returns the container status', async () => {
    const seen = [];
    const result = await client.run(BUSYBOX, ['sh', '-c', 'echo one; echo two >&2; echo three; exit 3'], {
      timeoutMs: 60_000, onOutput: (stream, line) => seen.push([stream, line]),
    });
    assert.equal(result.outcome, 'exited');
    assert.equal(result.exitCode, 3);
    assert.equal(result.egress, 'disabled');
    assert.deepEqual(seen.filter(([s]) => s === 'stdout'), [['stdout', 'one\n'], ['stdout', 'three\n']]);
    assert.ok(seen.some(([s, l]) => s === 'stderr' && l === 'two\n'));
    assert.equal(await client.docker.exists(result.container), false, '--rm left the container');
  });

  test('127, 126 and 125 are the launcher\'s, not the container\'s', async () => {
    await assert.rejects(client.run(BUSYBOX, ['/no/such/tool']), (e) => e instanceof CommandNotFound && e.status === 127);
    await assert.rejects(client.run(BUSYBOX, ['/etc/passwd']), (e) => e instanceof CommandNotExecutable && e.status === 126);
    await assert.rejects(client.run('sandbox-run-test/no-such-image:latest', ['true']),
      (e) => e instanceof LauncherError && !(e instanceof SandboxRefused) && e.status === 125 && /no-such-image/.test(e.message));
  });

  test('a refusal comes before anything is created', async () => {
    writeFileSync(join(home, 'config.yaml'), 'proxy:\n  enabled: true\n');
    try {
      await assert.rejects(client.run(BUSYBOX, ['true']), (e) => e instanceof SandboxRefused && /not set up/.test(e.message));
    } finally {
      rmSync(join(home, 'config.yaml'));
    }
  });

  test('a timeout kills and removes the container', async () => {
    const start = Date.now();
    // sh as PID 1 ignores SIGTERM: only a kill stops it.
    const result = await client.run(BUSYBOX, ['sh', '-c', 'echo started; sleep 300'], { timeoutMs: 3_000 });
    assert.equal(result.outcome, 'timeout');
    assert.equal(result.exitCode, null);
    assert.ok(Date.now() - start < 30_000);
    assert.equal(await client.docker.exists(result.container), false);
  });

  test('an abort after the first line cancels and removes the container', async () => {
    const ac = new AbortController();
    const result = await client.run(BUSYBOX, ['sh', '-c', 'echo ready; sleep 300'], {
      timeoutMs: 120_000, signal: ac.signal, onOutput: (_, line) => { if (line === 'ready\n') ac.abort(); },
    });
    assert.equal(result.outcome, 'cancelled');
    assert.equal(await client.docker.exists(result.container), false);
  });
});
