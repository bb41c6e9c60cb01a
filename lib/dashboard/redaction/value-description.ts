function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** What a value is, without the value: `string, 23 chars`, `object, 2 keys`, `array, 3 items`, `number`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `string, ${plural(value.length, 'char')}`;
  if (Array.isArray(value)) return `array, ${plural(value.length, 'item')}`;
  if (typeof value === 'object') return `object, ${plural(Object.keys(value).length, 'key')}`;
  return typeof value;
}
