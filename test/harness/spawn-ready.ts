import { ChildProcess, spawn } from 'node:child_process';

/**
 * Spawns a Redis binary (`redis-server`, `redis-sentinel`) and returns the child at once with
 * `ready`, which resolves once its output contains `readyText`, and rejects with that output
 * if it exits first or is not ready within 10 s.
 */
export function spawnUntilReady(
  command: string,
  args: string[],
  port: number,
  readyText: string,
): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} on port ${port} did not start:\n${output}`)), 10_000);
    const onData = () => {
      if (output.includes(readyText)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} on port ${port} exited with ${code}:\n${output}`));
    });
  }).then(() => {
    child.stdout?.resume();
    child.stderr?.resume();
  });
  return { child, ready };
}
