/**
 * The paths the worker writes to (DATABASE_PATH, MAIL_DIR), checked before anything connects:
 * a path that cannot be written stops the start with a SettingError naming the variable and the
 * path, instead of a bare `EACCES` later (or a hang: Node 20's recursive mkdir loops forever on
 * procfs). Missing directories are created one level at a time, each under a parent that was
 * checked first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SettingError, type Config } from '../config.js';

/** DATABASE_PATH always; MAIL_DIR when emails go to files (no SMTP_URL). */
export function prepareStoragePaths(config: Pick<Config, 'databasePath' | 'mailDir' | 'smtpUrl'>): void {
  prepareDatabasePath(config.databasePath);
  if (!config.smtpUrl) ensureWritableDirectory(config.mailDir, 'MAIL_DIR', config.mailDir);
}

/** The SQLite file's directory exists and takes new files (SQLite adds `-wal` and `-shm` beside it); the file, if there, is a writable file. */
export function prepareDatabasePath(file: string): void {
  ensureWritableDirectory(path.dirname(file), 'DATABASE_PATH', file);
  const stat = statOrUndefined(file, 'DATABASE_PATH', file);
  if (!stat) return;
  if (!stat.isFile()) throw pathError('DATABASE_PATH', file, `${file} is not a file (it is a ${kind(stat)})`);
  access(file, fs.constants.R_OK | fs.constants.W_OK, 'DATABASE_PATH', file, `no permission to read and write ${file}`);
}

/**
 * Makes `dir` a directory this process can create files in. `value` is the setting as the
 * operator wrote it (shown in the error). Throws SettingError naming `variable`.
 */
export function ensureWritableDirectory(dir: string, variable: string, value: string): void {
  const missing: string[] = [];
  let existing = path.resolve(dir);
  let stat = statOrUndefined(existing, variable, value);
  while (!stat) {
    missing.unshift(existing);
    const parent = path.dirname(existing);
    if (parent === existing) throw pathError(variable, value, `no part of ${dir} exists`);
    existing = parent;
    stat = statOrUndefined(existing, variable, value);
  }
  if (!stat.isDirectory()) throw pathError(variable, value, `${existing} is a ${kind(stat)}, not a directory`);
  access(existing, fs.constants.W_OK | fs.constants.X_OK, variable, value, `no permission to create files in ${existing}`);
  for (const level of missing) {
    try {
      fs.mkdirSync(level);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw pathError(variable, value, `cannot create the directory ${level} (${describe(err)})`);
    }
  }
  probeWrite(dir, variable, value);
}

/** access() says yes to root everywhere but on read-only file systems: a real file says it all. */
function probeWrite(dir: string, variable: string, value: string): void {
  const probe = path.join(dir, `.write-check-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.unlinkSync(probe);
  } catch (err) {
    throw pathError(variable, value, `cannot create files in ${dir} (${describe(err)})`);
  }
}

function statOrUndefined(p: string, variable: string, value: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a file stands where a directory should be; the walk up finds and names it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw pathError(variable, value, `cannot look at ${p} (${describe(err)})`);
  }
}

function access(p: string, mode: number, variable: string, value: string, problem: string): void {
  try {
    fs.accessSync(p, mode);
  } catch (err) {
    throw pathError(variable, value, `${problem} (${describe(err)})`);
  }
}

function kind(stat: fs.Stats): string {
  return stat.isDirectory() ? 'directory' : stat.isFile() ? 'file' : 'special file';
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '')}` : String(e.message ?? err);
}

function pathError(variable: string, value: string, problem: string): SettingError {
  return new SettingError(variable, `${variable}=${JSON.stringify(value)} cannot be used: ${problem}`);
}
