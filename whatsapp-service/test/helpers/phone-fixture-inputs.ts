import path from 'node:path';

export const PHONE_FIXTURE_FILE = path.resolve(import.meta.dirname, '../../../contract/fixtures/phone-numbers.json');

/** [as written, DEFAULT_COUNTRY_CODE or null]: the notations customers and agents use. */
export const PHONE_FIXTURE_INPUTS: ReadonlyArray<[string, string | null]> = [
  ['+49 171 2512623', null],
  ['+49 (0) 171-2512623', null],
  ['+49 (0)171 2512623', null],
  ['+49(0)1712512623', null],
  ['0049 171 2512623', null],
  ['00 49 171 2512623', null],
  ['491712512623', null],
  ['+49 (151) 123-456.78', null],
  ['+49 30 1234567', null],
  ['+43 (0) 664 1234567', null],
  ['+41 79 123 45 67', null],
  ['+1 (415) 555-2671', null],
  ['+44 (0)20 7946 0958', null],
  ['0171 2512623', null],
  ['0171 2512623', '49'],
  ['(0171) 251-2623', '49'],
  ['0171/2512623', '49'],
  ['0664 1234567', '43'],
  ['+49 171 2512623', '43'],
  ['0049 171 2512623', '43'],
  ['+49 123', null],
  ['12345', null],
  ['1234567890123456', null],
  ['', null],
];
