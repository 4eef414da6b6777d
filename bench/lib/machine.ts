/** What the machine is doing: /proc samples, git state, and how busy the cores were before a run. */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { ROOT } from './paths.js';

// ---------------------------------------------------------------------------------------------------
// Resource sampling from /proc

export interface ProcSample {
  rssKiB: number;
  hwmKiB: number;
  cpuTicks: number;
}

export function procSample(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    // /proc/<pid>/stat: fields after the ")" of comm; utime and stime are fields 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuTicks = Number(fields[11]) + Number(fields[12]);
    return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM'), cpuTicks };
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole machine. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const n = line.trim().split(/\s+/).slice(1).map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  return { busy: total - idle, total };
}

/** CPU jiffies used so far by all processes named `postgres` (the PostgreSQL server on this machine). */
export function postgresTicks(): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (comm !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended while we read it.
    }
  }
  return ticks;
}

export const TICKS_PER_S = 100; // USER_HZ on Linux

// ---------------------------------------------------------------------------------------------------

export function gitState(): { commit: string; srcDirty: boolean } {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  return {
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    srcDirty: git('status', '--porcelain', 'src') !== '',
  };
}

/** Percent of all cores busy over `ms`, measured before a run. */
export async function machineBusyOver(ms: number): Promise<number> {
  const a = machineTicks();
  await sleep(ms);
  const b = machineTicks();
  return Math.round(((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 1000) / 10;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}
