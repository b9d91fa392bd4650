import { describe, expect, it } from 'vitest';
import { groupKeyOf } from '../../src/intake/failure.js';

describe('failure groups', () => {
  it('puts reasons that differ only in ids and values in one group', () => {
    expect(groupKeyOf('RetriesExhausted', 'gave up after 4 attempts: collaboration col-1 is not known yet'))
      .toBe(groupKeyOf('RetriesExhausted', 'gave up after 6 attempts: collaboration col-2002 is not known yet'));
    expect(groupKeyOf('InvalidMessage', 'data.customer.contact.email must be an email address (got "x")'))
      .toBe(groupKeyOf('InvalidMessage', 'data.customer.contact.email must be an email address (got "y@")'));
  });

  it('keeps different problems and different error classes apart', () => {
    expect(groupKeyOf('InvalidMessage', 'data.taskId is required')).not.toBe(groupKeyOf('InvalidMessage', 'body is not valid JSON'));
    expect(groupKeyOf('A', 'same words')).not.toBe(groupKeyOf('B', 'same words'));
  });
});
