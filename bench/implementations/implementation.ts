/** The operations the benchmark measures, in the order of its table. */
export const OPERATIONS = [
  'getLinkedPod',
  'trySetLinkedPod',
  'setLinkedPodIfAbsent',
  'computeLinkedPodIfAbsent',
  'removeLinkedPod',
  'getLinkService',
  'batchGetLinkedPod',
  'gatewayMix',
] as const;

export type Operation = (typeof OPERATIONS)[number];

/** Call number `i` of an operation; the same `i` means the same inputs in every implementation. */
export type OperationCall = (i: number) => Promise<unknown>;

/** One way of doing the operations: the library, raw ioredis, the naive port, ... */
export interface Implementation {
  readonly name: string;
  /** The namespace holding this implementation's own copy of the data. */
  readonly namespace: string;
  /** The operations it has; an implementation may leave some out (the near-cache only answers reads). */
  readonly operations: Partial<Record<Operation, OperationCall>>;
  /** Reads user number `index` the way the implementation reads (before the reads are measured: a gateway that has run a while). */
  readonly warm: OperationCall;
  close(): Promise<void>;
}
