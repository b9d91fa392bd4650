/** Errors of the support services that callers (CLI, API, console) turn into their own answers. */

/** Bad input from whoever called: names the field and what is wrong with it. */
export class InputError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field} ${problem}`);
    this.name = 'InputError';
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** The action needs the broker and it is not connected: try again later. */
export class UnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnavailableError';
  }
}
