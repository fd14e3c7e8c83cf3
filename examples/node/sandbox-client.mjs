// A small wrapper an agent backend would write around sandbox-run (Node.js,
// no npm packages).
//
//   const client = new SandboxClient();
//   await client.preflight();                           // sandbox-egress status --json
//   const result = await client.run('my-agent-image', ['python3', 'tool.py'], {
//     timeoutMs: 60_000, onOutput: (stream, line) => process.stdout.write(line),
//     signal: abortController.signal });                 // cancel
//   result.exitCode;                                    // the container's own status
//
// Exit statuses are mapped the way `docker run` defines them: 125 is the
// launcher's own failure (LauncherError), 126 a command that cannot be invoked
// (CommandNotExecutable), 127 one that does not exist (CommandNotFound), any
// other is the container's status. A launch the egress policy refuses is told
// apart before anything is created: `sandbox-run --dry-run` runs the same
// checks and exits 125 on a refusal (SandboxRefused); its JSON names the
// egress outcome. A timeout or an abort force-removes the container through
// the Docker Engine API (DELETE /containers/NAME?force=1, which kills it: a
// shell as PID 1 ignores SIGTERM), then reaps sandbox-run.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
export const LAUNCHER_FAILED = 125;
export const NOT_EXECUTABLE = 126;
export const NOT_FOUND = 127;

export class SandboxError extends Error {}
export class EgressNotReady extends SandboxError {
  constructor(problems, status) {
    super(`egress is not ready: ${problems.join('; ')}`);
    this.problems = problems;
    this.status = status;
  }
}
export class LauncherError extends SandboxError {
  constructor(message, status = LAUNCHER_FAILED) {
    super(message);
    this.status = status;
  }
}
export class SandboxRefused extends LauncherError {}
export class CommandNotExecutable extends LauncherError {
  constructor(message) { super(message, NOT_EXECUTABLE); }
}
export class CommandNotFound extends LauncherError {
  constructor(message) { super(message, NOT_FOUND); }
}

// The `sandbox-run: error: ...` line, or the last stderr line.
export function launcherMessage(stderrLines) {
  const prefix = 'sandbox-run: error: ';
  const line = stderrLines.find((l) => l.startsWith(prefix));
  if (line) return line.slice(prefix.length).trim();
  return stderrLines.length ? stderrLines[stderrLines.length - 1].trim() : 'no message';
}

// Just enough of the Engine API over the unix socket for cleanup.
export class DockerAPI {
  constructor(host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock') {
    if (!host.startsWith('unix://')) throw new SandboxError(`this example speaks to a unix-socket daemon only, not ${host}`);
    this.socketPath = host.slice('unix://'.length);
  }

  call(method, path) {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.socketPath, method, path, timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end();
    });
  }

  async remove(name) { // kills and removes; true when it is gone
    return [204, 404].includes(await this.call('DELETE', `/containers/${encodeURIComponent(name)}?force=1`));
  }

  async exists(name) {
    return (await this.call('GET', `/containers/${encodeURIComponent(name)}/json`)) === 200;
  }
}

export class SandboxClient {
  constructor({ sandboxRun = 'sandbox-run', sandboxEgress = 'sandbox-egress', env = process.env, docker } = {}) {
    this.sandboxRun = sandboxRun;
    this.sandboxEgress = sandboxEgress;
    this.env = { ...env };
    this.docker = docker ?? new DockerAPI(this.env.DOCKER_HOST);
  }

  // The egress state as `status --json` gives it (docs/status-json.md). Throws
  // EgressNotReady when it lists problems, when egress is on but the daemon is
  // not listening, or (requireEgress) when egress is off.
  async preflight({ requireEgress = true } = {}) {
    let stdout;
    try {
      ({ stdout } = await execFileP(this.sandboxEgress, ['status', '--json'], { env: this.env, timeout: 60_000 }));
    } catch (e) {
      throw new EgressNotReady([e.stderr?.trim() || e.message], null);
    }
    const status = JSON.parse(stdout);
    const problems = [...(status.problems ?? [])];
    if (status.enabled && !status.daemon.listening && !problems.length) {
      problems.push(`the egress daemon is not listening: ${status.daemon.detail}`);
    }
    if (requireEgress && !status.enabled) problems.push('egress is disabled: run `sandbox-egress setup`');
    if (problems.length) throw new EgressNotReady(problems, status);
    return status;
  }

  async #dryRun(args) {
    try {
      const { stdout } = await execFileP(this.sandboxRun, ['--dry-run', ...args], { env: this.env, timeout: 60_000 });
      return JSON.parse(stdout).egress.outcome;
    } catch (e) {
      if (e.code === LAUNCHER_FAILED) throw new SandboxRefused(launcherMessage((e.stderr ?? '').split('\n')));
      throw new LauncherError(`sandbox-run --dry-run failed: ${e.stderr?.trim() || e.message}`, e.code);
    }
  }

  // Runs `command` in a fresh container of `image` (never pulled) and streams
  // each output line to onOutput(stream, line) as it comes.
  async run(image, command, { timeoutMs, onOutput, signal, dockerArgs = [] } = {}) {
    const name = `agent-sandbox-${randomBytes(6).toString('hex')}`;
    const args = ['--rm', '--pull', 'never', '--name', name, ...dockerArgs, image, ...command];
    const egress = await this.#dryRun(args);
    const started = Date.now();
    // Its own process group: a Ctrl-C meant for the backend does not reach it.
    const child = spawn(this.sandboxRun, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const stderrLines = [];
    const pump = (stream, pipe, keep) => new Promise((resolve) => {
      const rl = createInterface({ input: pipe, crlfDelay: Infinity });
      rl.on('line', (line) => {
        if (keep) keep.push(line);
        onOutput?.(stream, `${line}\n`);
      });
      rl.on('close', resolve);
    });
    const pumps = [pump('stdout', child.stdout), pump('stderr', child.stderr, stderrLines)];
    const exited = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, sig) => resolve(code ?? 128 + (constants.signals[sig] ?? 0)));
    });

    let outcome = 'exited';
    let timer;
    const stopFor = (why) => {
      if (outcome !== 'exited') return;
      outcome = why;
      this.#stop(child, name, exited).catch(() => {});
    };
    if (timeoutMs !== undefined) timer = setTimeout(() => stopFor('timeout'), timeoutMs);
    const onAbort = () => stopFor('cancelled');
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let status;
    try {
      status = await exited;
      await Promise.all(pumps);
      if (outcome !== 'exited') await this.docker.remove(name); // created after the last try
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    const result = { exitCode: null, outcome, egress, container: name, durationMs: Date.now() - started,
                     stderrTail: stderrLines.slice(-5) };
    if (outcome !== 'exited') return result;
    if (status === LAUNCHER_FAILED) throw new LauncherError(launcherMessage(stderrLines));
    if (status === NOT_EXECUTABLE) throw new CommandNotExecutable(launcherMessage(stderrLines));
    if (status === NOT_FOUND) throw new CommandNotFound(launcherMessage(stderrLines));
    return { ...result, exitCode: status };
  }

  // The container first (so nothing keeps running), then sandbox-run. A
  // container sandbox-run has not created yet cannot be removed: retry until
  // sandbox-run is gone, then kill its process group if it is still there.
  async #stop(child, name, exited, graceMs = 10_000) {
    const deadline = Date.now() + graceMs;
    let done = false;
    exited.then(() => { done = true; }, () => { done = true; });
    while (!done && Date.now() < deadline) {
      await this.docker.remove(name);
      await new Promise((r) => setTimeout(r, 500));
    }
    if (!done) process.kill(-child.pid, 'SIGKILL');
  }
}
