/**
 * `console ...`: credentials for the support console and API. Only hashes go into the
 * configuration files; the password is read from standard input (hidden at a terminal), never
 * from the command line, where it would stay in the shell's history.
 */
import type { Command } from 'commander';
import { hashPassword } from '../http/support/password.js';
import { newApiToken, SCOPES, tokenSha256, type Scope } from '../http/support/principals.js';
import { print } from './context.js';

export function registerConsole(program: Command): void {
  const group = program.command('console').description('support console and API: password hashes and API tokens');

  group
    .command('hash-password')
    .description('read a password from standard input and print its scrypt hash, for a line "<name> <viewer|operator> <hash>" of SUPPORT_USERS_FILE')
    .action(async () => {
      const password = await readPassword();
      print(await hashPassword(password));
    });

  group
    .command('create-token')
    .description('make a bearer token for a client (e.g. the customer portal) and print the line for SUPPORT_TOKENS_FILE')
    .argument('<client>', 'the client\'s name, as the audit trail will show it')
    .requiredOption('--scope <scope...>', `what the token may do: ${SCOPES.join(', ')}`)
    .action((client: string, o: { scope: string[] }) => {
      if (!/^[\w.-]+$/.test(client)) throw new Error(`client "${client}" must be letters, digits, ".", "_" or "-"`);
      const unknown = o.scope.filter((s) => !(SCOPES as readonly string[]).includes(s));
      if (unknown.length) throw new Error(`--scope ${unknown.join(', ')} is not a scope (expected ${SCOPES.join(', ')})`);
      const token = newApiToken();
      print(`token (give it to ${client}; it is not kept anywhere and is shown only now):`);
      print(`  ${token}`);
      print('line for SUPPORT_TOKENS_FILE:');
      print(`  ${client} ${(o.scope as Scope[]).join(',')} sha256:${tokenSha256(token)}`);
    });
}

/** The first line of standard input; at a terminal, asked for without echo. */
async function readPassword(): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  }
  process.stderr.write('Password: ');
  input.setRawMode(true);
  input.resume();
  let text = '';
  try {
    for await (const chunk of input) {
      for (const ch of (chunk as Buffer).toString('utf8')) {
        if (ch === '\u0003') throw new Error('cancelled');
        if (ch === '\r' || ch === '\n') return text;
        text = ch === '\u007f' ? text.slice(0, -1) : text + ch;
      }
    }
    return text;
  } finally {
    input.setRawMode(false);
    input.pause();
    process.stderr.write('\n');
  }
}
